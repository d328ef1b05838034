// The console's only script (progressive enhancement: every page works without it).
// - [data-job-progress]: polls the job's progress URL until it succeeds or fails, updating the bar and links.
// - [data-copy]: copies its value to the clipboard.   - [data-back]: goes back in history.
(function () {
  "use strict";
  function text(el, value) { if (el) { el.textContent = value; } }
  function lang() { return document.documentElement.lang === "en" ? "en" : "zh"; }

  function poll(box) {
    var url = box.getAttribute("data-job-progress");
    var bar = box.querySelector("progress");
    var status = box.querySelector(".job-status");
    var file = box.querySelector(".job-file");
    var error = box.querySelector(".job-error");
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (job) {
          if (bar) { bar.max = job.total || 1; bar.value = job.done; }
          if (status) {
            status.setAttribute("data-status", job.status);
            text(status, (lang() === "en" ? job.status : job.status_zh) + " " + job.done + "/" + job.total);
          }
          if (job.file_url && file) { file.href = job.file_url; file.hidden = false; }
          if (job.error && error) {
            text(error, lang() === "en" ? job.error.detail_en : job.error.detail_zh);
            error.hidden = false;
          }
          if (job.status === "queued" || job.status === "running") { setTimeout(tick, 1000); }
          else { box.dispatchEvent(new CustomEvent("job-finished", { bubbles: true, detail: job })); }
        })
        .catch(function () { setTimeout(tick, 3000); });
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-job-progress]"), poll);
    document.addEventListener("click", function (event) {
      var copy = event.target.closest && event.target.closest("[data-copy]");
      if (copy && navigator.clipboard) {
        event.preventDefault();
        navigator.clipboard.writeText(copy.getAttribute("data-copy")).then(function () {
          copy.setAttribute("data-copied", "true");
          text(copy.querySelector(".copied"), lang() === "en" ? "copied" : "已复制");
        });
      }
      var back = event.target.closest && event.target.closest("[data-back]");
      if (back && window.history.length > 1) { event.preventDefault(); window.history.back(); }
    });
  });
})();
