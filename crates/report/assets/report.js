// patchdx report: filters the timeline table; opens every collapsed section before printing.
(function () {
  "use strict";
  var query = document.getElementById("tl-q");
  var source = document.getElementById("tl-src");
  var errors = document.getElementById("tl-err");
  var quoted = document.getElementById("tl-ev");
  var count = document.getElementById("tl-count");
  var body = document.getElementById("tl-body");
  if (!query || !source || !errors || !quoted || !count || !body) {
    return;
  }
  var rows = Array.prototype.slice.call(body.rows);
  var texts = rows.map(function (row) {
    return row.textContent.toLowerCase();
  });
  function apply() {
    var words = query.value.toLowerCase().split(/\s+/).filter(Boolean);
    var wanted = source.value;
    var shown = 0;
    rows.forEach(function (row, i) {
      var keep =
        (!wanted || row.getAttribute("data-src") === wanted) &&
        (!errors.checked || row.classList.contains("lv-error") || row.classList.contains("lv-critical")) &&
        (!quoted.checked || row.classList.contains("hit")) &&
        words.every(function (w) {
          return texts[i].indexOf(w) !== -1;
        });
      row.hidden = !keep;
      if (keep) {
        shown += 1;
      }
    });
    count.textContent = shown + " of " + rows.length + " shown";
  }
  query.addEventListener("input", apply);
  source.addEventListener("change", apply);
  errors.addEventListener("change", apply);
  quoted.addEventListener("change", apply);
  apply();
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) {
      d.open = true;
    });
  });
})();
