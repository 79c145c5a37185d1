// On a narrow screen the header's links fold behind a "Menu" button. Without this script the
// links simply stay visible: the fold is added only when the script runs.
document.addEventListener("DOMContentLoaded", function () {
  var header = document.querySelector("header.top");
  var button = header && header.querySelector(".menu-toggle");
  if (!button) { return; }
  header.classList.add("foldable");
  button.addEventListener("click", function () {
    var open = header.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
});
