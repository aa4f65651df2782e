//! Connections that the server can cut at will: to drop a request without any
//! answer, and to go down like a dead process.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use super::lock;

/// Binds 127.0.0.1:`port` with SO_REUSEADDR, so the same port can be taken again
/// right after going down.
pub(crate) fn bind(port: u16) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(1024)
}

/// Cuts one connection: its next read or write fails, and a pending read wakes up.
#[derive(Debug, Default)]
pub(crate) struct KillSwitch {
    killed: AtomicBool,
    reader: Mutex<Option<Waker>>,
}

impl KillSwitch {
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        if let Some(w) = lock(&self.reader).take() {
            w.wake();
        }
    }

    fn killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }
}

/// Every open connection, so going down can cut them all.
#[derive(Debug, Clone, Default)]
pub(crate) struct Registry(Arc<Mutex<Vec<Weak<KillSwitch>>>>);

impl Registry {
    fn add(&self, switch: &Arc<KillSwitch>) {
        let mut list = lock(&self.0);
        list.retain(|w| w.strong_count() > 0);
        list.push(Arc::downgrade(switch));
    }

    pub fn kill_all(&self) {
        for switch in lock(&self.0).drain(..).filter_map(|w| w.upgrade()) {
            switch.kill();
        }
    }
}

/// What a handler learns about its connection (`ConnectInfo<ConnInfo>`).
#[derive(Debug, Clone)]
pub(crate) struct ConnInfo {
    pub switch: Arc<KillSwitch>,
}

impl Connected<IncomingStream<'_, KillableListener>> for ConnInfo {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

pub(crate) struct KillableListener {
    inner: TcpListener,
    registry: Registry,
}

impl KillableListener {
    pub fn new(inner: TcpListener, registry: Registry) -> Self {
        KillableListener { inner, registry }
    }
}

impl Listener for KillableListener {
    type Io = KillableIo;
    type Addr = ConnInfo;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let switch = Arc::new(KillSwitch::default());
                    self.registry.add(&switch);
                    let io = KillableIo {
                        inner: stream,
                        switch: switch.clone(),
                    };
                    return (io, ConnInfo { switch });
                }
                // Out of file descriptors and the like: wait, as axum does.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr().map(|_| ConnInfo {
            switch: Arc::new(KillSwitch::default()),
        })
    }
}

pub(crate) struct KillableIo {
    inner: TcpStream,
    switch: Arc<KillSwitch>,
}

fn cut() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection cut by the stand-in",
    )
}

impl AsyncRead for KillableIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.switch.killed() {
            return Poll::Ready(Err(cut()));
        }
        *lock(&self.switch.reader) = Some(cx.waker().clone());
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.switch.killed() {
            return Poll::Ready(Err(cut()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.switch.killed() {
            return Poll::Ready(Err(cut()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
