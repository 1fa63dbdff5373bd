//! One agent connection: a muxado server session over the accepted TCP stream,
//! dispatch of the agent's typed streams (RPCs, heartbeats), and a kill switch
//! that drops the TCP connection abruptly.

use std::sync::Arc;

use muxado::{
    SessionBuilder,
    typed::{Typed, TypedAccept, TypedSession, TypedStream},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt, DuplexStream},
    net::TcpStream,
    sync::Notify,
};

use crate::{
    rpc,
    state::{AgentConn, EdgeEvent, Shared},
    wire::HEARTBEAT,
};

/// Buffer between the TCP socket and the muxado session (see [`pump`]).
const PUMP_BUFFER: usize = 64 * 1024;

/// Runs one agent connection until either side closes it.
pub(crate) async fn serve_connection(shared: Arc<Shared>, tcp: TcpStream) {
    let kill = Arc::new(Notify::new());
    // muxado owns its IO and offers no way to drop it, so it runs on one end
    // of an in-memory pipe and `pump` copies to the socket; killing the pump
    // closes the socket (with RST) and ends the muxado session on EOF.
    let (mux_io, pump_io) = tokio::io::duplex(PUMP_BUFFER);
    let pump_task = tokio::spawn(pump(tcp, pump_io, kill.clone()));

    let session = SessionBuilder::new(mux_io).server().start();
    let (open, mut accept) = Typed::new(session).split_typed();
    let conn = shared.update(|st| {
        let conn = st.next_conn;
        st.next_conn += 1;
        st.connections += 1;
        st.conns.insert(
            conn,
            AgentConn {
                open,
                kill: kill.clone(),
                session_id: None,
            },
        );
        st.events.push(EdgeEvent::Connected { conn });
        conn
    });

    while let Ok(stream) = accept.accept_typed().await {
        let shared = shared.clone();
        if stream.typ() == HEARTBEAT {
            tokio::spawn(answer_heartbeats(shared, stream));
        } else {
            let typ = stream.typ();
            tokio::spawn(async move { rpc::serve(&shared, conn, typ, stream).await });
        }
    }

    shared.update(|st| {
        st.conns.remove(&conn);
        st.tunnels.retain(|_, t| t.conn != conn);
        st.events.push(EdgeEvent::Disconnected { conn });
    });
    kill.notify_one();
    let _ = pump_task.await;
}

/// Copies bytes between the socket and the muxado pipe until either ends or
/// the connection is killed.
async fn pump(mut tcp: TcpStream, mut mux: DuplexStream, kill: Arc<Notify>) {
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut tcp, &mut mux) => {}
        () = kill.notified() => {
            // Abrupt: the agent sees a reset, as when a network path dies.
            let _ = tcp.set_zero_linger();
        }
    }
}

/// Echoes each 4-byte heartbeat id on the agent's heartbeat stream (muxado's
/// heartbeat protocol), unless the test turned answers off.
async fn answer_heartbeats(shared: Arc<Shared>, mut stream: TypedStream) {
    let mut id = [0u8; 4];
    loop {
        if stream.read_exact(&mut id).await.is_err() {
            return;
        }
        let answer = shared.update(|st| {
            st.heartbeats += 1;
            st.answer_heartbeats
        });
        if answer && stream.write_all(&id).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use muxado::{Accept, OpenClose, SessionBuilder};
    use tokio::io::AsyncReadExt;

    /// Documents a muxado 0.5.4 quirk the edge has to live with: `close()`
    /// (what ngrok-rs' `Session::close` calls) writes no GOAWAY, so the peer
    /// sees nothing until the session is dropped.
    #[tokio::test]
    async fn muxado_close_writes_nothing_but_drop_ends_the_session() {
        let (a, mut raw) = tokio::io::duplex(1 << 16);
        let mut client = SessionBuilder::new(a).start();
        client
            .close(muxado::Error::None, String::new())
            .await
            .unwrap();
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(Duration::from_millis(300), raw.read(&mut buf)).await;
        assert!(read.is_err(), "no bytes after close(): {read:?}");

        let (a, b) = tokio::io::duplex(1 << 16);
        let client = SessionBuilder::new(a).start();
        let mut server = SessionBuilder::new(b).server().start();
        drop(client);
        let accepted = tokio::time::timeout(Duration::from_secs(2), server.accept()).await;
        assert!(matches!(accepted, Ok(None)), "drop ends the peer's session");
    }
}
