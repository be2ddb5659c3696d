/* The record form (templates/documents/manage/record.html), progressively enhanced:
   - the signatory picker: type a name in any script (or scan a badge) -> pick -> the party's name, position,
     country, company and the hidden registration id are filled;
   - the proxy fields show only when "on behalf of someone" is chosen (without JavaScript they are always there).
   Everything works without this file: the server checks and keeps every value. */
(function () {
  "use strict";
  var form = document.getElementById("record-form");
  if (!form) { return; }
  var searchUrl = form.getAttribute("data-signatories-url");
  var badgeUrl = form.getAttribute("data-badge-url");

  function input(i, name) { return form.querySelector("[name='parties-" + i + "-" + name + "']"); }

  function setValue(el, value) {
    if (!el || value === undefined || value === null) { return; }
    if (el.tagName === "SELECT") {
      var has = Array.prototype.some.call(el.options, function (o) { return o.value === value; });
      if (!has) { return; }
    }
    el.value = value;
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function fill(i, s, box) {
    setValue(input(i, "signatory_name"), s.full_name);
    setValue(input(i, "signatory_position"), s.position);
    setValue(input(i, "signatory_registration"), s.public_id);
    setValue(input(i, "company"), s.company_id);
    var org = input(i, "organisation");
    if (org && !org.value) { setValue(org, s.company); }
    setValue(input(i, "country"), s.country);
    var linked = box.querySelector("[data-picker-linked]");
    if (linked) { linked.textContent = s.full_name + " · " + s.company; }
    var results = box.querySelector("[data-picker-results]");
    if (results) { results.textContent = ""; }
  }

  function show(box, i, data) {
    var results = box.querySelector("[data-picker-results]");
    results.textContent = "";
    if (data.message) {
      var note = document.createElement("div");
      note.className = "small text-body-secondary py-1";
      note.textContent = data.message;
      results.appendChild(note);
    }
    (data.results || []).forEach(function (s) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "list-group-item list-group-item-action";
      var strong = document.createElement("strong");
      strong.textContent = s.full_name;
      b.appendChild(strong);
      var rest = [s.latin_name !== s.full_name ? "(" + s.latin_name + ")" : "", s.position, s.company, s.country_name]
        .filter(function (x) { return x; }).join(" · ");
      b.appendChild(document.createTextNode(" " + rest));
      b.addEventListener("click", function () { fill(i, s, box); });
      results.appendChild(b);
    });
  }

  function getJson(url) {
    return fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); });
  }

  Array.prototype.forEach.call(form.querySelectorAll("[data-picker]"), function (box) {
    var i = box.getAttribute("data-picker");
    var q = box.querySelector("[data-picker-query]");
    var badge = box.querySelector("[data-picker-badge]");
    var timer = null;
    // A name typed by hand after a pick is someone else: the link to the picked delegate goes.
    var nameInput = input(i, "signatory_name");
    if (nameInput) {
      nameInput.addEventListener("input", function () {
        var reg = input(i, "signatory_registration");
        if (reg && reg.value) {
          reg.value = "";
          var linked = box.querySelector("[data-picker-linked]");
          if (linked) { linked.textContent = ""; }
        }
      });
    }
    if (q) {
      q.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          getJson(searchUrl + "?format=json&q=" + encodeURIComponent(q.value))
            .then(function (data) { show(box, i, data); })
            .catch(function () {});
        }, 250);
      });
      q.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); } });
    }
    if (badge) {
      var lookUp = function () {
        if (!badge.value.trim()) { return; }
        getJson(badgeUrl + "?format=json&code=" + encodeURIComponent(badge.value.trim()))
          .then(function (data) {
            if (data.found) { fill(i, data.signatory, box); badge.value = ""; }
            else { show(box, i, { message: data.message, results: [] }); }
          })
          .catch(function () {});
      };
      badge.addEventListener("change", lookUp);
      badge.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); lookUp(); } });
    }
  });

  // The proxy fields: hidden while "own authority" is chosen, unless they hold something or an error.
  Array.prototype.forEach.call(form.querySelectorAll("[data-party]"), function (card) {
    var proxy = card.querySelector("[data-proxy-fields]");
    var radios = card.querySelectorAll("[data-capacity] input[type=radio]");
    if (!proxy || !radios.length) { return; }
    function update() {
      var chosen = card.querySelector("[data-capacity] input[type=radio]:checked");
      var onBehalf = chosen && chosen.value === "on_behalf";
      var hasError = proxy.querySelector(".is-invalid");
      proxy.classList.toggle("is-hidden", !onBehalf && !hasError);
    }
    Array.prototype.forEach.call(radios, function (r) { r.addEventListener("change", update); });
    update();
  });
})();
