// Live updates over server-sent events (GET /api/events). Pages work without it; it only keeps
// them current: comments and favorite counts on an article, a "new articles" notice on the feeds.
(function () {
  "use strict";

  var sources = new Map(); // element -> EventSource

  function on(source, types, handler) {
    types.forEach(function (type) {
      source.addEventListener(type, handler);
    });
  }

  function updateFavoriteCounts(slug, count) {
    var selector = 'form[data-favorite-slug="' + CSS.escape(slug) + '"]';
    document.querySelectorAll(selector).forEach(function (form) {
      var span = form.querySelector(".count");
      if (span) {
        span.textContent = span.textContent.trim().charAt(0) === "(" ? "(" + count + ")" : String(count);
      }
      var button = form.querySelector("button[aria-label]");
      if (button) {
        button.setAttribute("aria-label", button.getAttribute("aria-label").replace(/\(\d+\)$/, "(" + count + ")"));
      }
    });
  }

  function watchArticle(element) {
    var slug = element.getAttribute("data-live-article");
    var url = element.getAttribute("data-live-comments-url");
    var source = new EventSource("/api/events?article=" + encodeURIComponent(slug));
    function reloadComments() {
      htmx.ajax("GET", url, { target: "#comments", swap: "outerHTML" });
    }
    on(source, ["comment.created", "comment.deleted", "resync"], reloadComments);
    source.addEventListener("article.favorites", function (event) {
      var data = JSON.parse(event.data);
      updateFavoriteCounts(data.slug, data.favoritesCount);
    });
    source.addEventListener("article.deleted", function () {
      source.close(); // gone for this reader (deleted or hidden): the server ends the stream too
    });
    return source;
  }

  function watchFeed(element) {
    var feed = element.getAttribute("data-live-feed");
    var source = new EventSource("/api/events?feed=" + encodeURIComponent(feed));
    var fresh = 0;
    function notice() {
      var link = element.querySelector(".live-notice");
      if (!link) {
        link = document.createElement("a");
        link.className = "live-notice";
        link.setAttribute("role", "status");
        link.href = window.location.pathname + window.location.search;
        element.insertBefore(link, element.querySelector(".tabs").nextSibling);
      }
      return link;
    }
    source.addEventListener("article.published", function () {
      fresh += 1;
      notice().textContent = fresh === 1 ? "1 new article: show it" : fresh + " new articles: show them";
    });
    source.addEventListener("resync", function () {
      notice().textContent = "New articles may have arrived: refresh";
    });
    return source;
  }

  function connect() {
    sources.forEach(function (source, element) {
      if (!document.body.contains(element)) {
        source.close();
        sources.delete(element);
      }
    });
    document.querySelectorAll("[data-live-article], [data-live-feed]").forEach(function (element) {
      if (!sources.has(element)) {
        sources.set(element, element.hasAttribute("data-live-article") ? watchArticle(element) : watchFeed(element));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", connect);
  document.addEventListener("htmx:afterSettle", connect);
  window.addEventListener("pagehide", function () {
    sources.forEach(function (source) {
      source.close();
    });
    sources.clear();
  });
})();
