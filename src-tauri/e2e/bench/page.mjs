// What the window benchmark runs inside the webview through WebDriver execute-script: a
// requestAnimationFrame recorder, a MutationObserver noting when each event row first appears,
// and scrolling the event list to its end.

const LIST = '[role="grid"][aria-label="Events"]';

/** Starts recording animation-frame times (epoch ms) and first sightings of event rows. */
export function install(session) {
  return session.execute(
    `const LIST = arguments[0];
     const bench = (window.__bench = { frames: [], seen: new Map() });
     const frame = (t) => { bench.frames.push(performance.timeOrigin + t); requestAnimationFrame(frame); };
     requestAnimationFrame(frame);
     const ROW = '[data-testid="event-row"][data-id]';
     const note = (el, now) => { const id = el.getAttribute('data-id'); if (!bench.seen.has(id)) bench.seen.set(id, now); };
     new MutationObserver((records) => {
       const now = Date.now();
       for (const r of records) {
         if (r.type === 'attributes') { if (r.target.matches(ROW)) note(r.target, now); continue; }
         for (const n of r.addedNodes) {
           if (n.nodeType !== 1) continue;
           if (n.matches(ROW)) note(n, now);
           else for (const row of n.querySelectorAll(ROW)) note(row, now);
         }
       }
     }).observe(document.querySelector(LIST), { subtree: true, childList: true, attributes: true, attributeFilter: ['data-id'] });`,
    [LIST],
  );
}

/** Frame times recorded between `from` and `to` (epoch ms). */
export function frames(session, from, to) {
  return session.execute('return window.__bench.frames.filter((t) => t >= arguments[0] && t <= arguments[1]);', [from, to]);
}

/** { event id: epoch ms it first appeared } for every row seen so far. */
export async function seen(session) {
  return Object.fromEntries(await session.execute('return [...window.__bench.seen];'));
}

/** The list's row count (its aria-rowcount). */
export function rows(session) {
  return session.execute('return Number(document.querySelector(arguments[0]).getAttribute("aria-rowcount"));', [LIST]);
}

/** Scrolls the list to the bottom once; returns its row count, whether more pages exist and
 * the id of the lowest row on screen. */
export function scrollToEnd(session) {
  return session.execute(
    `const el = document.querySelector(arguments[0]);
     el.scrollTop = el.scrollHeight;
     const ids = [...el.querySelectorAll('[data-testid="event-row"][data-id]')].map((r) => Number(r.getAttribute('data-id')));
     return { rows: Number(el.getAttribute('aria-rowcount')), more: !!el.querySelector('.loader'), lowest: Math.min(...ids) };`,
    [LIST],
  );
}
