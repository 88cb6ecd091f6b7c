// Move focus to the first error summary (or warning) of the page, so screen readers announce it and it
// scrolls into view where the person acted (GOV.UK pattern). Summaries carry data-error-summary.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
}());
