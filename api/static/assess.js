// The score grid saves each cell when it changes (progressive enhancement: without this script each row's
// Save button posts the row). The same POST as the button, asking for JSON; the answer updates the cell
// ("已保存" / "Saved", or the refusal next to it) and the missing counts on the page.
(function () {
  "use strict";
  function en() { return document.documentElement.lang === "en"; }
  function say(zh, english) { return en() ? english : zh; }

  function cellStatus(input) { return input.parentNode.querySelector(".cell-status"); }

  function showError(input, message) {
    var box = input.parentNode.querySelector(".field-error");
    if (!box) {
      box = document.createElement("p");
      box.className = "field-error";
      box.setAttribute("role", "alert");
      box.id = input.id + "-error";
      input.parentNode.appendChild(box);
    }
    box.textContent = en() ? message.en + " " : message.zh + " ";
    var alt = document.createElement("span");
    alt.className = "alt";
    alt.textContent = en() ? message.zh : message.en;
    box.appendChild(alt);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", box.id);
  }

  function clearError(input) {
    var box = input.parentNode.querySelector(".field-error");
    if (box) { box.parentNode.removeChild(box); }
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }

  function setCount(selector, value) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), function (el) {
      el.setAttribute(selector.slice(1, -1), String(value));
      el.textContent = String(value);
    });
  }

  function update(data) {
    setCount("[data-my-missing]", data.my_missing);
    setCount("[data-missing-total]", data.missing_total);
    var progress = document.querySelector("[data-progress]");
    if (progress) { progress.className = data.my_missing === 0 ? "notice" : "notice bad"; }
    Object.keys(data.missing_by_assessor || {}).forEach(function (card) {
      var cell = document.querySelector('[data-assessor-missing="' + card + '"]');
      if (cell) {
        var count = data.missing_by_assessor[card];
        cell.textContent = count === 0 ? say("已全部录入", "complete") : String(count);
      }
    });
  }

  function save(input) {
    var form = document.getElementById(input.getAttribute("form"));
    var status = cellStatus(input);
    var body = new URLSearchParams();
    body.append("csrf_token", form.querySelector("[name=csrf_token]").value);
    body.append(input.name, input.value);
    status.setAttribute("data-state", "saving");
    status.textContent = say("保存中…", "Saving…");
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString()
    })
      .then(function (response) { return response.json().then(function (data) { return { ok: response.ok, data: data }; }); })
      .then(function (answer) {
        var data = answer.data;
        var refused = data.errors && data.errors[input.name];
        if (refused) {
          status.setAttribute("data-state", "error");
          status.textContent = "";
          showError(input, refused);
        } else if (!answer.ok) {
          status.setAttribute("data-state", "error");
          status.textContent = "";
          showError(input, { zh: data.zh || "保存失败", en: data.en || "not saved" });
        } else {
          clearError(input);
          input.removeAttribute("data-missing");
          status.setAttribute("data-state", "saved");
          status.textContent = say("已保存", "Saved");
        }
        if (data.my_missing !== undefined) { update(data); }
      })
      .catch(function () {
        status.setAttribute("data-state", "error");
        status.textContent = say("未保存：网络错误，请按本行“保存”", "Not saved: network error — press the row's Save");
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var grid = document.querySelector("[data-score-grid][data-editable]");
    if (!grid) { return; }
    grid.classList.add("autosave");
    grid.addEventListener("change", function (event) {
      var input = event.target;
      if (!input.matches || !input.matches("input[data-kind]") || !input.value.trim()) { return; }
      save(input);
    });
  });
})();
