#!/usr/bin/env node
// Independent SHACL engine (Zazuko's rdf-validate-shacl) for cross-checking pyshacl;
// used by tests/test_shapes.py.
//
//   node tests/js/validate.mjs DATA.nt SHAPES.nt
//       prints one JSON report:
//       {"conforms": bool, "reportConforms": bool, "results": [{"focus", "path",
//        "severity", "sourceShape", "component"}, ...]}
//   node tests/js/validate.mjs --batch SHAPES.nt DATA.nt [DATA.nt ...]
//       validates each data file against the same shapes (Node starts once); prints one
//       JSON report per line, in argument order, each with an extra "file" member.
//
// Inputs are N-Triples (blank nodes as _: labels). "conforms" is true when no result has
// severity sh:Violation (the project's rule: warnings do not fail); "reportConforms" is the
// engine's own sh:conforms, false as soon as there is any result. Terms are written in
// N-Triples syntax (<iri>, _:label, "lexical"@lang, "lexical"^^<datatype>); "path" is null
// when a result has none. Exit status: 0 after printing, 2 on bad usage or unreadable or
// invalid input.

import { readFileSync } from 'node:fs'
import { Parser } from 'n3'
import rdf from '@zazuko/env'
import SHACLValidator from 'rdf-validate-shacl'

const VIOLATION = '<http://www.w3.org/ns/shacl#Violation>'

function loadNTriples (path) {
  // n3's strict N-Triples mode: no prefixes, no relative IRIs, no graph names.
  const quads = new Parser({ format: 'application/n-triples' }).parse(readFileSync(path, 'utf8'))
  return rdf.dataset(quads)
}

function nt (term) {
  if (!term) return null
  switch (term.termType) {
    case 'NamedNode':
      return `<${term.value}>`
    case 'BlankNode':
      return `_:${term.value}`
    case 'Literal': {
      const lexical = JSON.stringify(term.value)
      if (term.language) return `${lexical}@${term.language}`
      return `${lexical}^^<${term.datatype.value}>`
    }
    default:
      return String(term.value)
  }
}

async function validate (shapes, data) {
  const validator = new SHACLValidator(shapes, { factory: rdf })
  const report = await validator.validate(data)
  const results = report.results.map(result => ({
    focus: nt(result.focusNode),
    path: nt(result.path),
    severity: nt(result.severity),
    sourceShape: nt(result.sourceShape),
    component: nt(result.sourceConstraintComponent)
  }))
  const conforms = !results.some(r => r.severity === VIOLATION)
  return { conforms, reportConforms: report.conforms, results }
}

function usage () {
  process.stderr.write(
    'usage: node validate.mjs DATA.nt SHAPES.nt\n' +
    '       node validate.mjs --batch SHAPES.nt DATA.nt [DATA.nt ...]\n')
  return 2
}

async function main (argv) {
  const batch = argv[0] === '--batch'
  if (batch ? argv.length < 3 : argv.length !== 2) return usage()
  const shapesPath = argv[1] // DATA.nt SHAPES.nt, or --batch SHAPES.nt DATA.nt...
  const dataPaths = batch ? argv.slice(2) : [argv[0]]
  let shapes
  const datasets = []
  try {
    shapes = loadNTriples(shapesPath)
    for (const path of dataPaths) datasets.push(loadNTriples(path))
  } catch (error) {
    process.stderr.write(`cannot read input: ${error.message}\n`)
    return 2
  }
  for (let i = 0; i < datasets.length; i++) {
    const report = await validate(shapes, datasets[i])
    const out = batch ? { file: dataPaths[i], ...report } : report
    process.stdout.write(JSON.stringify(out) + '\n')
  }
  return 0
}

process.exitCode = await main(process.argv.slice(2))
