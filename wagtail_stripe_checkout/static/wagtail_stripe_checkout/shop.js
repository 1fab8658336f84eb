/* wagtail-stripe-checkout: progressive enhancement only. Every form works without it. */
(function () {
    "use strict";

    function quantityMessage(input) {
        var v = input.validity;
        if (input.type === "email") {
            return v.valueMissing ? "Enter your email address." : "Enter a valid email address.";
        }
        if (input.type !== "number") {
            return v.valueMissing ? "This field is required." : "Check this field.";
        }
        var max = input.getAttribute("max");
        if (v.valueMissing || v.badInput || v.stepMismatch || v.rangeUnderflow) {
            return "Enter a whole number of at least 1.";
        }
        if (v.rangeOverflow) {
            return "You can order at most " + max + ".";
        }
        return "";
    }

    function validateQuantity(input) {
        input.setCustomValidity("");
        var message = input.checkValidity() ? "" : quantityMessage(input);
        input.setCustomValidity(message);
        var id = input.id || (input.id = "wsc-q-" + Math.random().toString(36).slice(2));
        var error = document.getElementById(id + "-error");
        if (message) {
            if (!error) {
                error = document.createElement("p");
                error.id = id + "-error";
                error.className = "wsc-field-error";
                error.setAttribute("role", "alert");
                input.insertAdjacentElement("afterend", error);
            }
            error.textContent = message;
            input.setAttribute("aria-invalid", "true");
            input.setAttribute("aria-describedby", error.id);
        } else if (error) {
            error.remove();
            input.removeAttribute("aria-invalid");
            input.removeAttribute("aria-describedby");
        }
        return !message;
    }

    document.addEventListener("input", function (event) {
        if (event.target.classList && (event.target.classList.contains("wsc-quantity") || event.target.classList.contains("wsc-input"))) {
            validateQuantity(event.target);
        }
    });

    // Choosing another country or rate shows its totals at once (without
    // JavaScript, the "Update shipping" button does the same).
    document.addEventListener("change", function (event) {
        var choice = event.target.closest && event.target.closest("[data-wsc-shipping-choice]");
        var update = choice && choice.querySelector("[data-wsc-update-shipping]");
        if (update && event.target.hasAttribute("data-wsc-shipping")) {
            update.form.requestSubmit(update);
        }
    });

    document.addEventListener("submit", function (event) {
        var form = event.target;
        var submitter = event.submitter;
        if (submitter && submitter.hasAttribute("formnovalidate")) {
            return; // "Update shipping": nothing to validate yet
        }
        var inputs = form.querySelectorAll(".wsc-quantity, .wsc-input:not(select)");
        for (var i = 0; i < inputs.length; i++) {
            if (!validateQuantity(inputs[i])) {
                event.preventDefault();
                inputs[i].focus();
                return;
            }
        }
        var button = submitter || form.querySelector("button[type=submit]");
        if (button) {
            // Loading state; the disabled flag is set after the submit has been taken.
            button.setAttribute("aria-busy", "true");
            window.setTimeout(function () { button.disabled = true; }, 0);
        }
    });
})();

/* Coming back through the history cache: buttons must not stay busy. */
window.addEventListener("pageshow", function () {
    var busy = document.querySelectorAll("button[aria-busy=true]");
    for (var i = 0; i < busy.length; i++) {
        busy[i].removeAttribute("aria-busy");
        busy[i].disabled = false;
    }
});
