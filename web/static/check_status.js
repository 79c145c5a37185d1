/* While a check is queued or running, poll its JSON status (the element #check-status names the URL in
   data-status-url) and show its line; when it is done, fetch this page again and swap in its fresh parts
   (the elements marked data-live: findings, statements, counts), so the findings appear without a
   reload. Served from this site, as the content security policy requires (no inline script). */
(function () {
  "use strict";
  var box = document.getElementById("check-status");
  if (!box || !box.getAttribute("data-status-url")) { return; }
  var url = box.getAttribute("data-status-url");
  var polls = 0;

  function later() {
    polls += 1;
    window.setTimeout(poll, Math.min(750 * Math.pow(1.25, polls), 10000));
  }

  function swap() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (node) {
          var replacement = node.id ? fresh.getElementById(node.id) : null;
          if (replacement) { node.replaceWith(document.importNode(replacement, true)); }
        });
        box.classList.remove("pending");
        box.classList.add("done");
        document.documentElement.setAttribute("data-check", "done");
      })
      .catch(function () { window.location.reload(); });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (status) {
        box.textContent = status.line;
        if (status.pending) { later(); } else { swap(); }
      })
      .catch(later);
  }

  document.documentElement.setAttribute("data-check", "pending");
  later();
})();
