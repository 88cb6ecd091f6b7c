// Shows and hides questions whose condition depends on answers on the same page.
// The server decides again on every save; this only spares the author irrelevant questions.
(function () {
  "use strict";
  var known = {};
  try { known = JSON.parse(document.getElementById("known-answers").textContent); } catch (e) { known = {}; }
  var form = document.querySelector("form[data-step]");
  if (!form) { return; }

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
        if (text) {
          if (type === "number") {
            var t = text.replace(/\s/g, "");
            if (/^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$/.test(t)) { t = t.replace(/\./g, "").replace(",", "."); }
            else { t = t.replace(",", "."); }
            value = isNaN(parseFloat(t)) ? null : parseFloat(t);
          } else { value = text; }
        }
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
}());
