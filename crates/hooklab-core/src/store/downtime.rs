//! How long Clerk could not reach Hooklab before the tunnel came back: from the end of the
//! previous online stretch (the next state recorded after it — `off` when the app quit,
//! `reconnecting` when the network dropped) to the latest `online`. Clerk retried what failed
//! meanwhile on its own schedule; what gave up can be recovered from its dashboard.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// A stretch without a public URL, ended by the latest `online` state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Downtime {
    /// Unix ms when the previous online stretch ended.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub from: i64,
    /// Unix ms when the tunnel came back online.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub to: i64,
    /// The public URL differs from the previous stretch's (the Clerk endpoint must be edited).
    pub url_changed: bool,
}

/// The downtime before the latest `online` state, if the tunnel was online before that.
pub fn last_downtime(conn: &Connection) -> rusqlite::Result<Option<Downtime>> {
    let online = |before: i64| {
        conn.prepare_cached(
            "SELECT id, at, url FROM tunnel_states WHERE state = 'online' AND id < ?1 \
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row([before], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })
        .optional()
    };
    let Some((latest, back_at, url)) = online(i64::MAX)? else {
        return Ok(None);
    };
    let Some((previous, _, previous_url)) = online(latest)? else {
        return Ok(None);
    };
    let ended: i64 = conn
        .prepare_cached("SELECT at FROM tunnel_states WHERE id > ?1 ORDER BY id LIMIT 1")?
        .query_row([previous], |r| r.get(0))?;
    Ok(Some(Downtime {
        from: ended,
        to: back_at,
        url_changed: previous_url != url,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tunnel::record_tunnel_state;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../../migrations/0002_tunnel.sql"))
            .unwrap();
        conn.execute_batch(
            "CREATE TABLE changes (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, ref_id INTEGER, \
             ref_key TEXT)",
        )
        .unwrap();
        conn
    }

    #[test]
    fn the_gap_runs_from_the_end_of_the_last_online_stretch_to_the_new_one() {
        let conn = db();
        let url = Some("https://fox.ngrok-free.app");
        record_tunnel_state(&conn, 1_000, "connecting", None, None).unwrap();
        record_tunnel_state(&conn, 2_000, "online", url, None).unwrap();
        assert_eq!(
            last_downtime(&conn).unwrap(),
            None,
            "first time online: no gap"
        );
        record_tunnel_state(&conn, 60_000, "off", None, None).unwrap(); // the app quit
        record_tunnel_state(&conn, 7_260_000, "connecting", None, None).unwrap();
        record_tunnel_state(&conn, 7_261_000, "reconnecting", None, None).unwrap();
        record_tunnel_state(&conn, 7_300_000, "online", url, None).unwrap();
        assert_eq!(
            last_downtime(&conn).unwrap(),
            Some(Downtime {
                from: 60_000,
                to: 7_300_000,
                url_changed: false
            })
        );
        record_tunnel_state(&conn, 7_400_000, "reconnecting", None, None).unwrap();
        record_tunnel_state(
            &conn,
            7_500_000,
            "online",
            Some("https://new.ngrok-free.app"),
            None,
        )
        .unwrap();
        let gap = last_downtime(&conn).unwrap().unwrap();
        assert_eq!(
            (gap.from, gap.to, gap.url_changed),
            (7_400_000, 7_500_000, true)
        );
    }
}
