/* LIF's own behaviour in its pages. It lives in this file because the Content-Security-Policy
   allows no inline script (no <script> blocks, no onclick= handlers): templates mark elements
   with data- attributes and this file acts on them. */
(function () {
  "use strict";

  // Flask-Admin's templates link to "javascript:void(0)" where a click should do nothing but
  // what its own handlers do (menus, tabs, the current page): the policy refuses to run such
  // a link, so it is never followed (caught first, the other handlers still run).
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a[href]") : null;
    if (link && /^\s*javascript:/i.test(link.getAttribute("href"))) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    // Ask before a button marked data-confirm submits its form (Flask-Admin's delete).
    var confirmed = target.closest("[data-confirm]");
    if (confirmed && !window.confirm(confirmed.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    // Flask-Admin's bulk actions ("With selected"), run by its actions.js.
    var action = target.closest("[data-model-action]");
    if (action) {
      event.preventDefault();
      if (window.modelActions) {
        window.modelActions.execute(action.getAttribute("data-model-action"));
      }
      return;
    }
    // Flask-Admin's "Add ..." button of a list of sub-forms (a meeting's attendees).
    var adder = target.closest("[data-add-inline-field]");
    if (adder) {
      event.preventDefault();
      if (window.faForm) {
        window.faForm.addInlineField(adder, adder.getAttribute("data-add-inline-field"));
      }
      return;
    }
    // Links that only open something on the page (Flask-Admin's filter menu) go nowhere.
    if (target.closest("[data-no-follow]")) {
      event.preventDefault();
    }
  });

  // A file over the upload limit (an input marked data-max-mb) is refused at its field as
  // soon as it is chosen, before anything is sent: the rest of the form stays as typed. The
  // server refuses it too (documents/uploads.py), with the same words.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" ||
        !input.hasAttribute("data-max-mb")) { return; }
    var limitMb = input.getAttribute("data-max-mb");
    var limit = parseFloat(limitMb) * 1024 * 1024;
    var big = Array.prototype.filter.call(input.files || [], function (file) {
      return file.size > limit;
    });
    var message = big.length ? "'" + big[0].name + "' is larger than the upload limit of " +
      limitMb + " MB: choose a smaller file. Nothing else you typed is lost." : "";
    input.setCustomValidity(message);
    var id = input.getAttribute("data-error-id") || (input.id + "-size-error");
    var note = document.getElementById(id);
    if (message) {
      if (!note) {
        note = document.createElement("div");
        note.id = id;
        note.className = "invalid-feedback d-block";
        input.insertAdjacentElement("afterend", note);
      }
      note.textContent = message;
      input.classList.add("is-invalid");
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", id);
    } else {
      if (note) { note.remove(); }
      input.classList.remove("is-invalid");
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
  });

  // Select a field's whole text when it gets the focus (an address shown once, to copy).
  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (field instanceof HTMLInputElement && field.hasAttribute("data-select-on-focus")) {
      field.select();
    }
  });
}());
