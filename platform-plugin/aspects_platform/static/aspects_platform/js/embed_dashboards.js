/* Embeds each dashboard of the Aspects Reports section with the Superset Embedded SDK.
 *
 * Reads the section's data attributes (set by instructor_dashboard/aspects.html): the Superset
 * URL, the course's guest-token URL (an LMS endpoint, same origin) and one mount point per
 * dashboard. The SDK asks for a token when it starts and again before the token expires.
 */
(function () {
  "use strict";

  function fetchGuestToken(tokenUrl) {
    return fetch(tokenUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok || !body.guestToken) {
            throw new Error("Aspects guest token: HTTP " + response.status + ": " + (body.detail || ""));
          }
          return body.guestToken;
        });
      });
  }

  function showError(mount, error) {
    var message = document.createElement("p");
    message.className = "aspects-dashboard-error";
    message.textContent = String(error && error.message ? error.message : error);
    mount.appendChild(message);
  }

  function embedSection(section) {
    var sdk = window.supersetEmbeddedSdk;
    var mounts = section.querySelectorAll("[data-dashboard-uuid]");
    var supersetUrl = section.getAttribute("data-superset-url").replace(/\/+$/, "");
    var tokenUrl = section.getAttribute("data-guest-token-url");
    Array.prototype.forEach.call(mounts, function (mount) {
      if (!sdk) {
        showError(mount, "The Superset Embedded SDK did not load.");
        return;
      }
      sdk.embedDashboard({
        id: mount.getAttribute("data-dashboard-uuid"),
        supersetDomain: supersetUrl,
        mountPoint: mount,
        fetchGuestToken: function () { return fetchGuestToken(tokenUrl); },
        dashboardUiConfig: { hideTitle: true, hideChartControls: false, filters: { expanded: false } },
      }).catch(function (error) { showError(mount, error); });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".aspects-reports"), embedSection);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
