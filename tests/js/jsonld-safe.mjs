#!/usr/bin/env node
// Independent JSON-LD processor (jsonld.js) in safe mode, for cross-checking ssc-kg's JSON-LD;
// used by tests/test_shipped.py.
//
//   node tests/js/jsonld-safe.mjs FILE.jsonld
//       prints the document's RDF as N-Quads. Safe mode makes any lossy construct an error
//       (a key the context does not map, a relative IRI, an invalid language tag, ...), so a
//       term our context silently drops fails here. Remote documents are never loaded.
// Exit status: 0 after printing; 2 on bad usage, unreadable input or a safe-mode error.

import { readFileSync } from 'node:fs'
import jsonld from 'jsonld'

const refuseRemote = async (url) => {
  throw new Error(`remote document refused: ${url}`)
}

async function main (argv) {
  if (argv.length !== 1) {
    process.stderr.write('usage: jsonld-safe.mjs FILE.jsonld\n')
    return 2
  }
  try {
    const doc = JSON.parse(readFileSync(argv[0], 'utf8'))
    const nquads = await jsonld.toRDF(doc, {
      format: 'application/n-quads', safe: true, documentLoader: refuseRemote
    })
    process.stdout.write(nquads)
    return 0
  } catch (err) {
    process.stderr.write(`jsonld-safe: ${err.name}: ${err.message}` +
      (err.details ? ` ${JSON.stringify(err.details).slice(0, 500)}` : '') + '\n')
    return 2
  }
}

process.exitCode = await main(process.argv.slice(2))
