// Keyboard shortcuts on a finding's page: j / k next and previous finding of the list it was
// opened from, c confirm, d put the cursor in the dismissal reason. Keys typed into a field are
// left alone. No inline script anywhere: the content security policy allows only this file.
document.addEventListener("keydown", function (event) {
  var target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey || (target && target.closest &&
      target.closest("input, textarea, select, [contenteditable]"))) {
    return;
  }
  var link = null;
  if (event.key === "j") { link = document.querySelector("a[rel=next]"); }
  if (event.key === "k") { link = document.querySelector("a[rel=prev]"); }
  if (link) { event.preventDefault(); window.location.href = link.href; return; }
  if (event.key === "c") {
    var confirm = document.querySelector("form[action*='/confirm'] button");
    if (confirm) { event.preventDefault(); confirm.click(); }
  }
  if (event.key === "d") {
    var reason = document.querySelector("form[action*='/dismiss'] input[name=reason]");
    if (reason) { event.preventDefault(); reason.focus(); }
  }
});
