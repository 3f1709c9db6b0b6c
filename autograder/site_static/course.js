// The course's own touches on sphinx-book-theme (added by autograder/book.py).
// An inline formula cannot wrap: where one is wider than its paragraph (a phone), it scrolls on its own instead of
// making the whole page scroll sideways.
(function () {
  function fitInlineMath() {
    document.querySelectorAll('span.math > mjx-container:not([display="true"])').forEach(function (c) {
      c.classList.remove("course-wide-math");
      var box = c.closest("p, li, td, th, dd") || c.parentElement;
      if (c.getBoundingClientRect().width > box.clientWidth) c.classList.add("course-wide-math");
    });
  }
  window.addEventListener("load", function () {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) MathJax.startup.promise.then(fitInlineMath);
  });
  window.addEventListener("resize", fitInlineMath);
})();
