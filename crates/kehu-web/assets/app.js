/*
 * Kehu — progressive-enhancement helpers. Every page works without this file; it only
 * adds conveniences. Load it with <script src="…" defer>. No inline scripts are needed
 * anywhere, so pages can use a strict Content-Security-Policy.
 *
 * What it does (all opt-in through markup):
 *   <meta name="csrf-token" content="…">     → X-CSRF-Token header on htmx requests
 *   <form data-confirm="Delete?">             → asks before submitting
 *   <a|button data-confirm="Delete?">         → asks before following / clicking
 *   <select data-autosubmit>                  → submits its form on change (locale switcher)
 *   [data-toggle-sidebar]                     → opens/closes the sidebar on narrow screens
 *   .flash [data-dismiss]                     → removes the flash message
 *   <tr data-href="/customers/1">             → whole table row is a link
 *   <div data-chart><script type="application/json">{ECharts option}</script></div>
 *   <div data-swagger-ui data-url="/api/v1/openapi.json"></div>
 *   <meta name="kehu-msg-request-failed" content="…"> → text shown when an htmx request fails
 *   [data-mass-all] / [data-mass-row] / [data-mass-submit] [data-mass-count]
 *                                             → list rows ticked for a mass update
 *   [data-mass-form] [data-mass-field] [data-mass-set], [data-mass-apply] [data-mass-stale]
 *                                             → the mass update page (see below)
 */
(function () {
  "use strict";

  var root = document.documentElement;
  // Lets the CSS hide no-JS fallbacks (.no-js-only) and show JS-only controls.
  root.classList.add("js");

  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : null;
  }

  /** The CSRF token the server put in the page, for scripts that send requests. */
  function csrfToken() {
    return meta("csrf-token");
  }

  // ------------------------------------------------------------------ htmx + CSRF

  // htmx requests are not plain form posts, so the hidden csrf_token field is not always
  // part of them; the server also accepts the token in this header. Added for every
  // non-GET request (htmx only sends requests to our own origin by default).
  document.addEventListener("htmx:configRequest", function (e) {
    var token = csrfToken();
    if (token && e.detail.verb !== "get") {
      e.detail.headers["X-CSRF-Token"] = token;
    }
  });

  // A failed htmx request would otherwise fail silently: show a message.
  function showError(text) {
    var stack = document.querySelector(".flash-stack");
    if (!stack) {
      stack = document.createElement("div");
      stack.className = "flash-stack";
      stack.setAttribute("role", "alert");
      document.body.appendChild(stack);
    }
    var flash = document.createElement("div");
    flash.className = "flash flash--error";
    var span = document.createElement("span");
    span.className = "flash__text";
    span.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "flash__close";
    close.setAttribute("data-dismiss", "");
    close.setAttribute("aria-label", "×");
    close.textContent = "×";
    flash.appendChild(span);
    flash.appendChild(close);
    stack.appendChild(flash);
    setTimeout(function () {
      flash.remove();
    }, 8000);
  }

  function requestFailed(e) {
    // 4xx responses with a body are normally swapped in by the server's design (form
    // errors); only report what the user would otherwise not see.
    var xhr = e.detail && e.detail.xhr;
    var status = xhr ? xhr.status : 0;
    var text = meta("kehu-msg-request-failed") || "请求失败，请重试。 Request failed, please try again.";
    showError(status ? text + " (" + status + ")" : text);
  }
  document.addEventListener("htmx:responseError", requestFailed);
  document.addEventListener("htmx:sendError", requestFailed);

  // ------------------------------------------------------------------ confirmations

  // Capture phase, so the question comes before htmx or any other handler acts on the
  // click/submit; a "no" stops the event completely.
  document.addEventListener(
    "click",
    function (e) {
      var el = e.target.closest("a[data-confirm], button[data-confirm], input[data-confirm]");
      if (el && !window.confirm(el.getAttribute("data-confirm"))) {
        e.preventDefault();
        e.stopImmediatePropagation();
      }
    },
    true
  );

  document.addEventListener(
    "submit",
    function (e) {
      var form = e.target;
      if (form.matches && form.matches("form[data-confirm]")) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          e.preventDefault();
          e.stopImmediatePropagation();
        }
      }
    },
    true
  );

  // ------------------------------------------------------------------ auto-submit

  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) {
      if (el.form.requestSubmit) {
        el.form.requestSubmit();
      } else {
        el.form.submit();
      }
    }
  });

  // ------------------------------------------------------------------ sidebar

  function setSidebar(open) {
    document.body.classList.toggle("sidebar-open", open);
    document.querySelectorAll("[data-toggle-sidebar]").forEach(function (b) {
      b.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  document.addEventListener("click", function (e) {
    var toggle = e.target.closest("[data-toggle-sidebar]");
    if (toggle) {
      // The toggle is a link to #sidebar for the no-JS case; with JS, a class is nicer
      // (no history entry, no jump).
      e.preventDefault();
      setSidebar(!document.body.classList.contains("sidebar-open"));
      return;
    }
    if (
      document.body.classList.contains("sidebar-open") &&
      !e.target.closest(".sidebar")
    ) {
      setSidebar(false);
    }
  });

  // ------------------------------------------------------------------ menus, flashes

  document.addEventListener("click", function (e) {
    // Close open <details class="menu"> dropdowns when clicking elsewhere.
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      if (!d.contains(e.target)) {
        d.removeAttribute("open");
      }
    });

    var dismiss = e.target.closest("[data-dismiss]");
    if (dismiss) {
      var flash = dismiss.closest(".flash");
      if (flash) {
        flash.remove();
      }
    }
  });

  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") {
      return;
    }
    setSidebar(false);
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      d.removeAttribute("open");
      var summary = d.querySelector("summary");
      if (summary) {
        summary.focus();
      }
    });
  });

  // ------------------------------------------------------------------ clickable rows

  document.addEventListener("click", function (e) {
    var row = e.target.closest("tr[data-href]");
    if (!row || e.defaultPrevented) {
      return;
    }
    // Real controls inside the row keep their own behaviour; so does selecting text.
    if (e.target.closest("a, button, input, select, textarea, label, summary")) {
      return;
    }
    if (window.getSelection && String(window.getSelection()).length > 0) {
      return;
    }
    var href = row.getAttribute("data-href");
    if (e.ctrlKey || e.metaKey || e.button === 1) {
      window.open(href, "_blank", "noopener");
    } else {
      window.location.assign(href);
    }
  });

  // ------------------------------------------------------------------ mass update

  // List rows: the header box ticks every row of the page; "Change selected" says how
  // many are ticked and is off while none is (without JS it is always on, and the page
  // it leads to says that nothing was ticked).
  function updateMassSelection() {
    var rows = document.querySelectorAll("[data-mass-row]");
    var ticked = 0;
    rows.forEach(function (r) {
      if (r.checked) {
        ticked += 1;
      }
    });
    document.querySelectorAll("[data-mass-count]").forEach(function (el) {
      el.textContent = ticked ? " (" + ticked + ")" : "";
    });
    document.querySelectorAll("[data-mass-submit]").forEach(function (b) {
      b.disabled = ticked === 0;
    });
    document.querySelectorAll("[data-mass-all]").forEach(function (all) {
      all.checked = rows.length > 0 && ticked === rows.length;
      all.indeterminate = ticked > 0 && ticked < rows.length;
    });
  }

  // The mass update page: giving a field a value ticks it (only ticked fields change),
  // and any change after a preview switches the apply button off until the preview is
  // shown again, so nothing is applied that was not previewed.
  function massFormChanged(el) {
    var form = el.closest("[data-mass-form]");
    if (!form) {
      return;
    }
    var field = el.closest("[data-mass-field]");
    if (field && !el.matches("[data-mass-set]")) {
      var box = field.querySelector("[data-mass-set]");
      if (box) {
        box.checked = true;
      }
    }
    document.querySelectorAll("[data-mass-apply]").forEach(function (b) {
      b.disabled = true;
    });
    document.querySelectorAll("[data-mass-stale]").forEach(function (p) {
      p.hidden = false;
    });
  }

  document.addEventListener("change", function (e) {
    var el = e.target;
    if (!el.matches) {
      return;
    }
    if (el.matches("[data-mass-all]")) {
      document.querySelectorAll("[data-mass-row]").forEach(function (r) {
        r.checked = el.checked;
      });
      updateMassSelection();
    } else if (el.matches("[data-mass-row]")) {
      updateMassSelection();
    }
    massFormChanged(el);
  });

  document.addEventListener("input", function (e) {
    if (e.target.matches && e.target.matches("input:not([type=checkbox])")) {
      massFormChanged(e.target);
    }
  });

  // ------------------------------------------------------------------ charts, API docs

  var charts = [];

  function initCharts(scope) {
    if (!window.echarts) {
      return;
    }
    var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    scope.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.getAttribute("data-chart-ready")) {
        return;
      }
      var src = el.querySelector('script[type="application/json"]');
      if (!src) {
        return;
      }
      var option;
      try {
        option = JSON.parse(src.textContent);
      } catch (err) {
        console.error("kehu: bad chart option", err);
        return;
      }
      el.setAttribute("data-chart-ready", "1");
      var chart = window.echarts.init(el, dark ? "dark" : null, { renderer: "canvas" });
      chart.setOption(option);
      charts.push(chart);
    });
  }

  function initSwagger(scope) {
    if (!window.SwaggerUIBundle) {
      return;
    }
    scope.querySelectorAll("[data-swagger-ui]").forEach(function (el) {
      if (el.getAttribute("data-swagger-ready")) {
        return;
      }
      el.setAttribute("data-swagger-ready", "1");
      if (!el.id) {
        el.id = "swagger-ui";
      }
      window.SwaggerUIBundle({
        url: el.getAttribute("data-url") || "/api/v1/openapi.json",
        dom_id: "#" + el.id,
        deepLinking: true,
        // Same-origin API calls from "Try it out" carry the session cookie; send the
        // CSRF token too so state-changing calls work.
        requestInterceptor: function (req) {
          var token = csrfToken();
          if (token) {
            req.headers["X-CSRF-Token"] = token;
          }
          return req;
        },
      });
    });
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      // Drop charts whose element htmx has swapped out of the page.
      charts = charts.filter(function (c) {
        if (!c.isDisposed() && document.body.contains(c.getDom())) {
          return true;
        }
        c.dispose();
        return false;
      });
      charts.forEach(function (c) {
        c.resize();
      });
    }, 150);
  });

  function enhance(scope) {
    initCharts(scope);
    initSwagger(scope);
    updateMassSelection();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      enhance(document);
    });
  } else {
    enhance(document);
  }
  // Content swapped in by htmx gets the same treatment.
  document.addEventListener("htmx:load", function (e) {
    enhance(e.target);
  });

  // A small API for page-specific scripts.
  window.Kehu = { csrfToken: csrfToken };
})();
