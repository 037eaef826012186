// medjudge audit page: keyboard shortcuts and a guard against double submits. No framework.
// Keys act on elements marked in the HTML: data-key="x" (a button is clicked, a field is
// focused), data-keys-score (1–5 set it), data-keys-risk (r cycles it), data-keys-verdict
// (v moves the chosen verdict). Nothing fires while the reviewer is typing in a field.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function visible(el) {
    return el && el.offsetParent !== null;
  }

  function first(selector) {
    var all = document.querySelectorAll(selector);
    for (var i = 0; i < all.length; i++) if (visible(all[i])) return all[i];
    return null;
  }

  function activate(el) {
    var tag = el.tagName.toLowerCase();
    if (tag === "button" || tag === "a") {
      el.click();
    } else {
      el.focus();
      if (el.scrollIntoView) el.scrollIntoView({block: "center"});
    }
  }

  function cycle(select) {
    var next = (select.selectedIndex + 1) % select.options.length;
    if (next === 0 && select.options.length > 1 && select.options[0].value === "") next = 1;
    select.selectedIndex = next;
    select.dispatchEvent(new Event("change", {bubbles: true}));
  }

  function chooseNextVerdict() {
    var radios = Array.prototype.slice.call(document.querySelectorAll("[data-keys-verdict]"));
    if (!radios.length) return;
    var at = radios.findIndex(function (r) { return r.checked; });
    var next = radios[(at + 1) % radios.length];
    next.checked = true;
    next.dispatchEvent(new Event("change", {bubbles: true}));
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (typing(target)) {
      if (event.key === "Escape") {
        target.blur();
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.form) {
        event.preventDefault();
        target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var key = event.key;
    if (key >= "1" && key <= "5") {
      var score = first("[data-keys-score]");
      if (score) {
        score.value = key;
        score.dispatchEvent(new Event("change", {bubbles: true}));
        event.preventDefault();
      }
      return;
    }
    if (key === "r") {
      var risk = first("[data-keys-risk]");
      if (risk) { cycle(risk); event.preventDefault(); }
      return;
    }
    if (key === "v") {
      chooseNextVerdict();
      event.preventDefault();
      return;
    }
    var el = first('[data-key="' + key + '"]');
    if (el) {
      event.preventDefault();
      activate(el);
    }
  });

  // A second click on a submit button while the first request is on its way does nothing
  // (the server also stores a form only once, by its request id).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.method && form.method.toLowerCase() !== "post") return;
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
  });
})();
