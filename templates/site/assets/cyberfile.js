/* cyberfile audit site: filter and sort long tables, in the browser, offline. */
(function () {
  "use strict";
  var MIN_ROWS = 8;

  function cellText(row, index) {
    var cell = row.cells[index];
    return cell ? cell.textContent.trim() : "";
  }

  function compare(a, b) {
    var x = parseFloat(a), y = parseFloat(b);
    if (!isNaN(x) && !isNaN(y) && /^-?[\d.]+/.test(a) && /^-?[\d.]+/.test(b)) {
      return x - y;
    }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function sortable(table) {
    var head = table.tHead;
    var body = table.tBodies[0];
    if (!head || !body || !head.rows.length) { return; }
    Array.prototype.forEach.call(head.rows[0].cells, function (th, index) {
      th.classList.add("cf-sortable");
      th.setAttribute("title", "Sort by this column");
      th.addEventListener("click", function () {
        var ascending = !th.classList.contains("cf-sorted-asc");
        Array.prototype.forEach.call(head.rows[0].cells, function (other) {
          other.classList.remove("cf-sorted-asc", "cf-sorted-desc");
        });
        th.classList.add(ascending ? "cf-sorted-asc" : "cf-sorted-desc");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var order = compare(cellText(r1, index), cellText(r2, index));
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  var filters = 0;

  function filterable(table) {
    var body = table.tBodies[0];
    if (!body || body.rows.length < MIN_ROWS) { return; }
    filters += 1;
    table.setAttribute("data-cf-filter", String(filters));
    var input = document.createElement("input");
    input.setAttribute("data-cf-for", String(filters));
    input.type = "search";
    input.className = "cf-filter";
    input.placeholder = "Filter " + body.rows.length + " rows...";
    input.setAttribute("aria-label", "Filter the rows of this table");
    var count = document.createElement("span");
    count.className = "cf-filter-count";
    var anchor = table.closest(".md-typeset__scrollwrap") || table.closest(".cf-table-wrap") || table;
    anchor.parentNode.insertBefore(input, anchor);
    input.insertAdjacentElement("afterend", count);
    input.addEventListener("input", function () {
      var query = input.value.trim().toLowerCase();
      var shown = 0;
      Array.prototype.forEach.call(body.rows, function (row) {
        var match = !query || row.textContent.toLowerCase().indexOf(query) !== -1;
        row.style.display = match ? "" : "none";
        if (match) { shown += 1; }
      });
      count.textContent = query ? shown + " of " + body.rows.length + " rows" : "";
    });
  }

  function wrap(table) {
    if (table.closest(".md-typeset__table") || table.closest(".cf-table-wrap")) { return; }
    var box = document.createElement("div");
    box.className = "cf-table-wrap";
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
  }

  function enhance() {
    var tables = document.querySelectorAll("article table:not(.cf-fields)");
    Array.prototype.forEach.call(tables, function (table) {
      wrap(table);
      sortable(table);
      filterable(table);
    });
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(enhance); /* Material's instant loading */
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance);
  } else {
    enhance();
  }
}());
