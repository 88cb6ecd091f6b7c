// Shows and hides questions whose condition depends on answers on the same page.
// The server decides again on every save; this only spares the author irrelevant questions.
// parseNumber reads a typed number by the same rules as the server (impactcheck/core/numbers.py,
// checked against the same cases in tests/core/test_numbers.py); it needs no DOM, so node can load it.
(function (root) {
  "use strict";

  // Per locale: thousands separator, decimal separator, words for "per year" after a unit.
  var SEPARATORS = { de: [".", ","], en: [",", "."] };
  var PER_YEAR = { de: ["pro Jahr", "/Jahr", "im Jahr"], en: ["per year", "/year", "a year", "/yr"] };

  function babelLocale(locale) {
    return locale && String(locale).toLowerCase().indexOf("en") === 0 ? "en" : "de";
  }

  function escape(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  function shapes(name) {
    var t = escape(SEPARATORS[name][0]), d = escape(SEPARATORS[name][1]);
    return {
      grouped: new RegExp("^[+-]?[1-9]\\d{0,2}(" + t + "\\d{3})+(" + d + "\\d+)?$"),
      plain: new RegExp("^[+-]?\\d+(" + d + "\\d+)?$"),
      otherDecimal: new RegExp("^[+-]?\\d+" + t + "\\d+$"),
      ambiguous: new RegExp("^[+-]?[1-9]\\d{0,2}(" + d + "\\d{3})+$")
    };
  }

  function suffixes(name, units) {
    var out = [];
    (units || []).forEach(function (unit) {
      if (!unit) { return; }
      var base = unit.split("/")[0].trim();
      out.push(unit, base);
      PER_YEAR.de.concat(PER_YEAR[name]).forEach(function (w) {
        out.push(w.charAt(0) === "/" ? base + w : base + " " + w);
      });
    });
    return out.sort(function (a, b) { return b.length - a.length; });
  }

  function stripUnit(text, units, name) {
    var list = suffixes(name, units);
    for (var i = 0; i < list.length; i++) {
      var s = list[i];
      if (s && text.toLowerCase().slice(-s.length) === s.toLowerCase() && text.length >= s.length) {
        return text.slice(0, text.length - s.length).trim();
      }
    }
    return text;
  }

  // The number in `text` as the server reads it, or null where the server answers with a message
  // (no number, or ambiguous like "2,500" on a German page).
  function parseNumber(text, locale, units) {
    var name = babelLocale(locale);
    var t = stripUnit(String(text).trim(), units, name).replace(/[\s\u00a0\u202f\u2009]+/g, "").replace(/\u2212/g, "-");
    if (!t) { return null; }
    var sep = SEPARATORS[name], sh = shapes(name), normal;
    if (sh.ambiguous.test(t)) { return null; }
    if (sh.grouped.test(t) || sh.plain.test(t)) {
      normal = t.split(sep[0]).join("").replace(sep[1], ".");
    } else if (sh.otherDecimal.test(t)) {
      normal = t.replace(sep[0], ".");
    } else {
      return null;
    }
    var value = Number(normal);
    return isNaN(value) ? null : value;
  }

  var api = { parseNumber: parseNumber, babelLocale: babelLocale };
  if (typeof module !== "undefined" && module.exports) { module.exports = api; }
  if (typeof document === "undefined") { return; }
  root.impactcheckNumbers = api;

  var known = {};
  try { known = JSON.parse(document.getElementById("known-answers").textContent); } catch (e) { known = {}; }
  var form = document.querySelector("form[data-step]");
  if (!form) { return; }
  var locale = form.getAttribute("data-locale") || document.documentElement.getAttribute("lang") || "de";

  function unitsOf(group) {
    var given = group.getAttribute("data-units");
    if (given) { try { return JSON.parse(given); } catch (e) { /* fall back to the unit shown */ } }
    var shown = group.querySelector(".unit");
    return shown ? [shown.textContent.trim()] : [];
  }

  function currentAnswers() {
    var answers = Object.assign({}, known);
    var groups = form.querySelectorAll("[data-question]");
    groups.forEach(function (group) {
      if (group.hidden) { return; }
      var id = group.getAttribute("data-question");
      var type = group.getAttribute("data-type");
      var inputs = group.querySelectorAll("input, textarea");
      var value = null;
      if (type === "multiple_choice") {
        value = [];
        inputs.forEach(function (i) { if (i.checked) { value.push(i.value); } });
        if (!value.length) { value = null; }
      } else if (type === "yes_no" || type === "single_choice" || type === "scale") {
        inputs.forEach(function (i) { if (i.checked) { value = i.value; } });
        if (value !== null && type === "yes_no") { value = value === "ja"; }
        if (value !== null && type === "scale") { value = parseInt(value, 10); }
      } else if (inputs.length) {
        var text = inputs[0].value.trim();
        if (text) { value = type === "number" ? parseNumber(text, locale, unitsOf(group)) : text; }
      }
      if (value !== null) { answers[id] = value; } else { delete answers[id]; }
    });
    return answers;
  }

  function test(cond, answers) {
    if (cond.all) { return cond.all.every(function (c) { return test(c, answers); }); }
    if (cond.any) { return cond.any.some(function (c) { return test(c, answers); }); }
    if (cond.not) { return !test(cond.not, answers); }
    var present = Object.prototype.hasOwnProperty.call(answers, cond.question) && answers[cond.question] !== null;
    if ("answered" in cond) { return present === cond.answered; }
    if (!present) { return false; }
    var v = answers[cond.question];
    if ("equals" in cond) { return v === cond.equals; }
    if ("in" in cond) { return cond["in"].indexOf(v) !== -1; }
    if ("contains" in cond) { return Array.isArray(v) && v.indexOf(cond.contains) !== -1; }
    if (typeof v !== "number") { return false; }
    if ("gt" in cond) { return v > cond.gt; }
    if ("gte" in cond) { return v >= cond.gte; }
    if ("lt" in cond) { return v < cond.lt; }
    if ("lte" in cond) { return v <= cond.lte; }
    return false;
  }

  function update() {
    // Repeat until stable: hiding one question can hide the questions that depend on it.
    for (var round = 0; round < 5; round++) {
      var changed = false;
      var answers = currentAnswers();
      form.querySelectorAll("[data-when]").forEach(function (group) {
        var show = test(JSON.parse(group.getAttribute("data-when")), answers);
        if (group.hidden === show) { group.hidden = !show; changed = true; }
      });
      if (!changed) { break; }
    }
  }
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
}(this));
