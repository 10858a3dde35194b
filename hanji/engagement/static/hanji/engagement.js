/* Hanji engagement: one beacon per page view (counts the view, fetches live counts and this
   browser's like), the like button, and share buttons. No third-party script, ever. */
(function () {
  "use strict";
  var root = document.querySelector("[data-hanji-engagement]");
  if (!root || !window.fetch) return;

  function send(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-Hanji-Request": "1", "Content-Type": "application/x-www-form-urlencoded" },
      body: body || "",
      keepalive: true
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false }; });
    });
  }

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  var likeButton = root.querySelector("[data-hanji-like]");

  function show(state) {
    if (!state || !state.ok && state.likes === undefined) return;
    if (state.views_label) each("[data-hanji-views]", function (el) { el.textContent = state.views_label; });
    if (state.likes_label !== undefined) {
      each("[data-hanji-likes]", function (el) { el.textContent = state.likes_label; });
      each("[data-hanji-likes-meta]", function (el) { el.textContent = "♥ " + state.likes_label; });
    }
    if (likeButton && state.liked !== undefined) {
      likeButton.setAttribute("aria-pressed", state.liked ? "true" : "false");
      var label = likeButton.querySelector("[data-hanji-like-label]");
      if (label && state.like_label) label.textContent = state.like_label;
    }
  }

  var status = root.querySelector("[data-hanji-status]");
  function say(text) {
    if (!status) return;
    status.textContent = text || "";
  }

  function beacon() {
    // Where the reader came from (the referrer and the landing URL's utm_ parameters): kept
    // only as the counts of each source, and as this browser's first-party source cookie.
    var body = "r=" + encodeURIComponent(document.referrer || "") +
      "&q=" + encodeURIComponent(location.search || "");
    send(root.getAttribute("data-beacon"), body).then(show, function () {});
  }
  // The studio's preview shows the page without counting it (no beacon address).
  if (!root.getAttribute("data-beacon")) return;
  // A page the browser only prerendered has not been viewed (yet).
  if (document.prerendering) {
    document.addEventListener("prerenderingchange", beacon, { once: true });
  } else {
    beacon();
  }

  if (likeButton) {
    likeButton.form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (likeButton.hasAttribute("data-sign-in")) {
        say(likeButton.getAttribute("data-sign-in"));
        return;
      }
      var want = likeButton.getAttribute("aria-pressed") === "true" ? "0" : "1";
      likeButton.disabled = true;
      send(root.getAttribute("data-like"), "like=" + want).then(function (state) {
        show(state);
        if (state && state.error) say(state.error);
      }, function () {}).then(function () { likeButton.disabled = false; });
    });
  }

  function copy(url, message) {
    var done = function () { say(message); };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(url).then(done, function () { window.prompt("", url); });
    } else {
      window.prompt("", url);
    }
  }

  each("[data-hanji-copy]", function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(button.getAttribute("data-url"), status && status.getAttribute("data-copied"));
    });
  });

  // KakaoTalk without Kakao's SDK: the phone's share sheet (which lists KakaoTalk), else the
  // link is copied to paste into a chat.
  each("[data-hanji-share=kakao]", function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var url = button.getAttribute("data-url");
      if (navigator.share) {
        navigator.share({ title: button.getAttribute("data-title"), url: url }).catch(function () {});
      } else {
        copy(url, status && status.getAttribute("data-kakao-copied"));
      }
    });
  });
})();
