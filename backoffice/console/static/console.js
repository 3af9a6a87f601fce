// Operations console: the one script (served by the back office; no inline script).
// A button with data-confirm asks before its form is sent (restarting a terminal).
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
