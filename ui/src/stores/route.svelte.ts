// Hash routing (#/events/12, #/users/user_…, #/settings, #/send) so every screen has an address
// a screenshot or a link can open directly.

export type View = 'events' | 'users' | 'settings' | 'send';

export interface Route {
  view: View;
  /** The event id or user id in the path, if any. */
  id: string | null;
}

const VIEWS: View[] = ['events', 'users', 'settings', 'send'];

/** Parses `#/users/user_123` (or `?view=users` as a fallback) into a route. */
export function parseRoute(hash: string, search = ''): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  let view = parts[0] as View;
  if (!VIEWS.includes(view)) {
    const q = new URLSearchParams(search).get('view') as View | null;
    view = q && VIEWS.includes(q) ? q : 'events';
  }
  return { view, id: parts[1] ?? null };
}

export function href(view: View, id?: string | number | null): string {
  return id === undefined || id === null ? `#/${view}` : `#/${view}/${encodeURIComponent(String(id))}`;
}

class Router {
  route = $state<Route>({ view: 'events', id: null });

  start(): void {
    const read = () => (this.route = parseRoute(location.hash, location.search));
    read();
    window.addEventListener('hashchange', read);
  }

  go(view: View, id?: string | number | null): void {
    location.hash = href(view, id);
  }
}

export const router = new Router();
