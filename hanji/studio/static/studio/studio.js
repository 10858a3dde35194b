/* The studio's small scripts: live progress without reloading, recipient counts, preview width. */
(function () {
  "use strict";

  function fill(root, data) {
    Object.keys(data).forEach(function (key) {
      root.querySelectorAll('[data-field="' + key + '"]').forEach(function (el) {
        el.textContent = data[key] === null ? "" : String(data[key]);
      });
    });
    var bar = root.querySelector("progress");
    if (bar && typeof data.percent === "number") {
      bar.value = data.percent;
      bar.textContent = data.percent + "%";
    }
  }

  // Poll a JSON progress URL every second until the work is done.
  function poll(root, isDone) {
    var url = root.dataset.progressUrl;
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return setTimeout(tick, 3000); }
          fill(root, data);
          if (isDone(data)) {
            root.querySelectorAll("[data-show-when-done]").forEach(function (el) { el.hidden = false; });
            root.dataset.finished = "true";
            if (root.dataset.reloadWhenDone !== "false" && root.classList.contains("import-progress")) {
              setTimeout(function () { window.location.reload(); }, 300);
            }
            return;
          }
          setTimeout(tick, 1000);
        })
        .catch(function () { setTimeout(tick, 3000); });
    }
    tick();
  }

  document.querySelectorAll(".send-progress[data-progress-url]").forEach(function (root) {
    poll(root, function (d) { return !d.active; });
  });
  document.querySelectorAll(".import-progress[data-progress-url]").forEach(function (root) {
    if (root.querySelector("[data-show-when-done]") && !root.querySelector("[data-show-when-done]").hidden) { return; }
    poll(root, function (d) { return d.done; });
  });

  // Preview at desktop or phone width.
  document.querySelectorAll("[data-width]").forEach(function (button) {
    button.addEventListener("click", function () {
      var frame = document.getElementById("preview-frame");
      frame.className = "preview-frame " + button.dataset.width;
      document.querySelectorAll("[data-width]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
    });
  });
})();
