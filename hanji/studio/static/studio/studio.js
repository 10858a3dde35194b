/* The studio's small scripts: live progress without reloading, preview width, the language
   switch, and the confirmation dialog of destructive actions (docs/design.md). */
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
  // The language switch applies on change; its button stays for browsers without scripts.
  document.querySelectorAll("form[data-language-switch]").forEach(function (form) {
    var apply = form.querySelector("[data-language-apply]");
    if (apply) { apply.hidden = true; }
    form.querySelector("select").addEventListener("change", function () { form.submit(); });
  });

  // The legal pages' Markdown editor: a few formatting buttons and a preview rendered by the
  // server (the same Markdown and sanitizer as the published page).
  document.querySelectorAll("form[data-markdown-url]").forEach(function (form) {
    var token = form.querySelector("[name=csrfmiddlewaretoken]").value;
    form.querySelectorAll("[data-legal-field]").forEach(function (box) {
      var area = box.querySelector("textarea");
      var preview = box.querySelector("[data-preview-for]");
      var emptyHtml = preview.innerHTML;
      var timer = null;
      function render() {
        if (!area.value.trim()) { preview.innerHTML = emptyHtml; return; }
        var body = new URLSearchParams({ text: area.value });
        fetch(form.dataset.markdownUrl, { method: "POST", credentials: "same-origin",
          headers: { "X-CSRFToken": token, "Content-Type": "application/x-www-form-urlencoded" }, body: body })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) { if (data) { preview.innerHTML = data.html; } });
      }
      area.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(render, 300); });
      box.querySelectorAll("[data-md]").forEach(function (button) {
        button.addEventListener("click", function () {
          var start = area.selectionStart, end = area.selectionEnd;
          var chosen = area.value.slice(start, end) || button.textContent.trim();
          var kind = button.dataset.md;
          var lineStart = area.value.lastIndexOf("\n", start - 1) + 1;
          if (kind === "heading" || kind === "list") {
            var mark = kind === "heading" ? "## " : "- ";
            area.setRangeText(mark, lineStart, lineStart, "end");
          } else if (kind === "bold") {
            area.setRangeText("**" + chosen + "**", start, end, "select");
          } else if (kind === "link") {
            area.setRangeText("[" + chosen + "](https://)", start, end, "end");
          }
          area.focus();
          render();
        });
      });
      render();
    });
  });

  // Destructive actions: a form or a submit button with data-confirm asks first, in a dialog
  // whose confirming button is red and says what it does (data-confirm-button).
  function confirmDialog(message, buttonLabel, cancelLabel, onConfirm) {
    var dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-text");
    var text = document.createElement("p");
    text.id = "confirm-dialog-text";
    text.textContent = message;
    var row = document.createElement("div");
    row.className = "actions";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = cancelLabel;
    var ok = document.createElement("button");
    ok.type = "button";
    ok.className = "danger confirm";
    ok.textContent = buttonLabel;
    row.append(cancel, ok);
    dialog.append(text, row);
    document.body.append(dialog);
    cancel.addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () { dialog.remove(); });
    ok.addEventListener("click", function () { dialog.close(); onConfirm(); });
    dialog.showModal();
    cancel.focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var source = submitter && submitter.dataset.confirm ? submitter : form;
    if (!source.dataset || !source.dataset.confirm || form.dataset.confirmed === "true") { return; }
    event.preventDefault();
    confirmDialog(source.dataset.confirm, source.dataset.confirmButton || (submitter && submitter.textContent) || "OK",
      (document.getElementById("studio-labels") || {dataset: {}}).dataset.cancel || "Cancel", function () {
        form.dataset.confirmed = "true";
        if (submitter && submitter.name) {
          var carried = document.createElement("input");
          carried.type = "hidden";
          carried.name = submitter.name;
          carried.value = submitter.value;
          form.append(carried);
        }
        if (submitter && submitter.formAction && submitter.hasAttribute("formaction")) { form.action = submitter.formAction; }
        form.submit();
      });
  });
})();
