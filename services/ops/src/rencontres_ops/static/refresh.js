// Refreshes the overview every few seconds from its server-rendered fragment.
// A 401 means the session expired: reload, the server redirects to the login page.
(function () {
  var box = document.getElementById("overview");
  if (!box) return;
  function stamp() {
    box.querySelectorAll("time[data-epoch]").forEach(function (t) {
      t.textContent = new Date(parseFloat(t.dataset.epoch) * 1000).toLocaleTimeString();
    });
  }
  function refresh() {
    fetch(box.dataset.src, { credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html) { box.innerHTML = html; stamp(); } })
      .catch(function () {})
      .finally(function () { setTimeout(refresh, 3000); });
  }
  stamp();
  setTimeout(refresh, 3000);
})();
