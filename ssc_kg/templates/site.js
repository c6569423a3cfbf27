/* ssc-kg site: remember the chosen language (the switch itself is pure CSS). */
(function () {
  "use strict";
  var key = "ssc-kg-lang";
  function choose(lang) {
    var radio = document.getElementById("lang-" + lang);
    if (!radio) { return; }
    radio.checked = true;
    document.documentElement.lang = lang;
  }
  var stored = null;
  try { stored = window.localStorage.getItem(key); } catch (e) { stored = null; }
  if (stored === "id" || stored === "en") { choose(stored); }
  var radios = document.querySelectorAll("input.lang-radio");
  for (var i = 0; i < radios.length; i++) {
    radios[i].addEventListener("change", function (event) {
      var lang = event.target.value;
      document.documentElement.lang = lang;
      try { window.localStorage.setItem(key, lang); } catch (e) { /* storage off: fine */ }
    });
  }
}());
