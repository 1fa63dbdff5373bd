//! A transport the supervisor can cut: ngrok-rs 0.19 has no way to close a session's connection
//! (`Session::close()` writes nothing, a dropped Session may stay connected), so every
//! connection the connector opens is wrapped in this and failed on purpose when the tunnel stops
//! or ngrok stops answering heartbeats.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Shared by the connector's streams and the supervisor; `kill` fails them all from then on.
#[derive(Clone, Default)]
pub(crate) struct KillSwitch(Arc<Mutex<Switch>>);

#[derive(Default)]
struct Switch {
    killed: bool,
    /// The read side's and the write side's wakers, so a kill wakes both.
    wakers: [Option<Waker>; 2],
}

impl KillSwitch {
    /// Fails every read and write of the wrapped streams, now and later.
    pub(crate) fn kill(&self) {
        let wakers = {
            let mut switch = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            switch.killed = true;
            std::mem::take(&mut switch.wakers)
        };
        for waker in wakers.into_iter().flatten() {
            waker.wake();
        }
    }

    /// `side`: [`READ`] or [`WRITE`].
    fn killed(&self, side: usize, cx: &Context<'_>) -> bool {
        let mut switch = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !switch.killed {
            switch.wakers[side] = Some(cx.waker().clone());
        }
        switch.killed
    }
}

const READ: usize = 0;
const WRITE: usize = 1;

/// A stream that fails every read and write once its switch is killed.
pub(crate) struct KillableIo<T> {
    inner: T,
    switch: KillSwitch,
}

impl<T> KillableIo<T> {
    pub(crate) fn new(inner: T, switch: KillSwitch) -> Self {
        Self { inner, switch }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for KillableIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.switch.killed(READ, cx) {
            return Poll::Ready(Err(io::ErrorKind::ConnectionAborted.into()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for KillableIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.switch.killed(WRITE, cx) {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_kill_fails_a_pending_read_and_later_writes() {
        let (near, mut far) = tokio::io::duplex(64);
        let switch = KillSwitch::default();
        let mut io = KillableIo::new(near, switch.clone());
        far.write_all(b"hi").await.unwrap();
        let mut buf = [0u8; 2];
        io.read_exact(&mut buf).await.unwrap();
        let reader = tokio::spawn(async move {
            let mut more = [0u8; 1];
            let read = io.read(&mut more).await;
            (read.is_err(), io)
        });
        tokio::task::yield_now().await;
        switch.kill();
        let (failed, mut io) = tokio::time::timeout(std::time::Duration::from_secs(5), reader)
            .await
            .unwrap()
            .unwrap();
        assert!(failed);
        assert!(io.write_all(b"x").await.is_err());
    }
}
