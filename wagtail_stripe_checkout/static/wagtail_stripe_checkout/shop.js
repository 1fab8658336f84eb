/* wagtail-stripe-checkout: progressive enhancement only. Every form works without it.
 *
 * - Forms marked data-wsc-api (add to cart, change a quantity, remove) post to
 *   the JSON cart API instead of reloading: focus stays where it was, the
 *   polite live region (.wsc-messages) says what changed and the header
 *   summary follows. On the cart page the lines and totals are re-read.
 * - Fields are checked before sending with one message per field, written
 *   into the field's reserved slot (#<id>-error) instead of the browser's
 *   bubble. Messages come from the page (data-wsc-message-*), so they are in
 *   the page's language; the server checks everything again.
 */
(function () {
    "use strict";

    var FIELDS = ".wsc-quantity, .wsc-input:not(select)";

    function slotFor(input) {
        return input && input.id ? document.getElementById(input.id + "-error") : null;
    }

    function showError(input, message) {
        var slot = slotFor(input);
        if (slot) {
            slot.textContent = message;
            if (message) { slot.setAttribute("role", "alert"); } else { slot.removeAttribute("role"); }
        }
        if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    }

    function messageFor(input) {
        var v = input.validity;
        var says = function (name) { return input.getAttribute("data-wsc-message-" + name); };
        if (v.valueMissing && says("missing")) { return says("missing"); }
        if (v.rangeOverflow && says("max")) { return says("max"); }
        return says("invalid") || input.validationMessage;
    }

    function validate(input) {
        var message = input.checkValidity() ? "" : messageFor(input);
        showError(input, message);
        return !message;
    }

    function announce(text) {
        var region = document.querySelector(".wsc-messages");
        if (!region || !text) { return; }
        var p = document.createElement("p");
        p.className = "wsc-message wsc-message--success";
        p.textContent = text;
        region.replaceChildren(p);
    }

    function setBusy(button, busy) {
        if (!button) { return; }
        if (busy) {
            button.setAttribute("aria-busy", "true");
        } else {
            button.removeAttribute("aria-busy");
            button.disabled = false;
        }
    }

    function updateSummary(cart) {
        var count = document.querySelector("[data-wsc-cart-count]");
        var label = document.querySelector("[data-wsc-cart-subtotal-label]");
        var subtotal = document.querySelector("[data-wsc-cart-subtotal]");
        if (count) { count.textContent = cart.summary.label; }
        if (subtotal) { subtotal.textContent = cart.summary.subtotal; }
        if (label) { label.hidden = cart.count === 0; }
    }

    // Re-read the cart page and swap its lines and totals in place; focus goes
    // back to the same field, or to the heading when that line has gone. The
    // change is announced once the page shows it.
    function refreshCart(focusId, message) {
        return fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
            .then(function (response) { return response.text(); })
            .then(function (html) {
                var fresh = new DOMParser().parseFromString(html, "text/html");
                var next = fresh.querySelector("[data-wsc-cart]");
                var current = document.querySelector("[data-wsc-cart]");
                if (!next || !current) { announce(message); return; }
                current.replaceWith(document.adoptNode(next));
                announce(message);
                var notices = fresh.querySelectorAll(".wsc-messages .wsc-message");
                var region = document.querySelector(".wsc-messages");
                for (var i = 0; region && i < notices.length; i++) {
                    region.appendChild(document.adoptNode(notices[i]));
                }
                var target = (focusId && document.getElementById(focusId)) || document.getElementById("wsc-cart-heading");
                if (target) { target.focus(); }
            });
    }

    function send(form, submitter) {
        var token = form.querySelector("[name=csrfmiddlewaretoken]");
        var quantity = form.querySelector(".wsc-quantity");
        var focusId = document.activeElement && document.activeElement.id;
        var button = submitter || form.querySelector("button[type=submit]");
        setBusy(button, true);
        fetch(form.getAttribute("data-wsc-api"), {
            method: "POST",
            body: new FormData(form),
            credentials: "same-origin",
            headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" }
        }).then(function (response) {
            return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        }).then(function (result) {
            var body = result.body;
            updateSummary(body.cart);
            if (!result.ok) {
                setBusy(button, false);
                var message = (body.error && body.error.message) || "";
                if (quantity && slotFor(quantity)) {
                    showError(quantity, message);
                    quantity.focus();
                } else {
                    announce(message);
                }
                return;
            }
            if (quantity) { showError(quantity, ""); }
            if (form.closest("[data-wsc-cart]")) {
                return refreshCart(focusId, body.message);
            }
            announce(body.message);
            setBusy(button, false);
        }).catch(function () {
            // The API could not be reached or answered oddly: the plain form still works.
            form.removeAttribute("data-wsc-api");
            form.submit();
        });
    }

    // The page's own messages replace the browser's bubbles.
    function takeOverValidation(root) {
        var fields = root.querySelectorAll(FIELDS);
        for (var i = 0; i < fields.length; i++) {
            if (fields[i].form) { fields[i].form.noValidate = true; }
        }
    }
    takeOverValidation(document);
    new MutationObserver(function () { takeOverValidation(document); })
        .observe(document.body, { childList: true, subtree: true });

    document.addEventListener("input", function (event) {
        var input = event.target;
        if (input.matches && input.matches(FIELDS) && input.getAttribute("aria-invalid") === "true") {
            validate(input); // clear the message as soon as the field is right
        }
    });

    // Choosing another country or rate shows its totals at once (without
    // JavaScript, the "Update total" button does the same).
    document.addEventListener("change", function (event) {
        var choice = event.target.closest && event.target.closest("[data-wsc-shipping-choice]");
        var update = choice && choice.querySelector("[data-wsc-update-shipping]");
        if (update && event.target.hasAttribute("data-wsc-shipping")) {
            update.form.requestSubmit(update);
        }
    });

    // Choosing a product's variant shows its price, image and availability
    // (the <option>'s data-wsc-v-* attributes); the quantity follows its limit.
    // Nothing is announced: the choice itself is what the shopper hears.
    document.addEventListener("change", function (event) {
        var select = event.target;
        if (!select.hasAttribute || !select.hasAttribute("data-wsc-variant")) { return; }
        var option = select.options[select.selectedIndex];
        var card = select.closest(".wsc-product") || select.form;
        if (!option || !card) { return; }
        var data = function (name) { return option.getAttribute("data-wsc-v-" + name) || ""; };
        var price = card.querySelector("[data-wsc-price]");
        var availability = card.querySelector("[data-wsc-availability]");
        var image = card.querySelector("img.wsc-product__image");
        var quantity = select.form.querySelector(".wsc-quantity");
        if (price && data("price")) { price.textContent = data("price"); }
        if (availability) { availability.textContent = data("availability"); }
        if (image && data("image")) {
            image.src = data("image");
            if (data("image-width")) { image.width = +data("image-width"); }
            if (data("image-height")) { image.height = +data("image-height"); }
        }
        if (quantity && data("max")) {
            quantity.max = data("max");
            quantity.setAttribute("data-wsc-message-max", data("message-max"));
            if (quantity.getAttribute("aria-invalid") === "true") { validate(quantity); }
        }
    });

    document.addEventListener("submit", function (event) {
        var form = event.target;
        var submitter = event.submitter;
        if (submitter && submitter.hasAttribute("formnovalidate")) {
            return; // "Update total": nothing to validate yet
        }
        var api = form.hasAttribute("data-wsc-api") && window.fetch;
        var fields = form.querySelectorAll(FIELDS);
        for (var i = 0; i < fields.length; i++) {
            // A quantity sent to the API is checked there, where the message can name the product.
            if (!(api && fields[i].classList.contains("wsc-quantity")) && !validate(fields[i])) {
                event.preventDefault();
                fields[i].focus();
                return;
            }
        }
        if (api) {
            event.preventDefault();
            send(form, submitter);
            return;
        }
        var button = submitter || form.querySelector("button[type=submit]");
        if (button) {
            // Loading state; the disabled flag is set after the submit has been taken.
            setBusy(button, true);
            window.setTimeout(function () { button.disabled = true; }, 0);
        }
    });

    /* Coming back through the history cache: buttons must not stay busy. */
    window.addEventListener("pageshow", function () {
        var busy = document.querySelectorAll("button[aria-busy=true]");
        for (var i = 0; i < busy.length; i++) { setBusy(busy[i], false); }
    });
})();
