// A table wider than the screen scrolls in its own box (portal.css); while it does, it takes
// keyboard focus so that it can be scrolled without a mouse (WCAG 2.1.1, axe's
// scrollable-region-focusable). Tables that fit are left out of the tab order.
(function () {
  "use strict";
  function update() {
    document.querySelectorAll(".table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth) {
        table.tabIndex = 0;
      } else {
        table.removeAttribute("tabindex");
      }
    });
  }
  update();
  window.addEventListener("resize", update);
  document.addEventListener("htmx:afterSettle", update);
})();
