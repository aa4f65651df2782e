//! The shared state behind the routes, and the serving loop that can go down and
//! come back on the same port.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::catalog::{Catalog, CatalogModel};
use super::conn::{self, ConnInfo, KillableListener, Registry};
use super::control::{RecordedRequest, SimControl};
use super::env::Env;
use super::faults::FaultState;
use super::sched::Host;
use super::{SimError, SimOptions, lock};

/// What the server knows: models on disk and the simulated host with its runners.
pub(crate) struct State {
    pub catalog: Catalog,
    pub host: Host,
}

pub(crate) struct Shared {
    pub opts: SimOptions,
    pub port: u16,
    pub state: Mutex<State>,
    /// Ollama loads one model at a time (`activeLoading`).
    pub load_lock: Arc<tokio::sync::Mutex<()>>,
    pub faults: Mutex<FaultState>,
    pub requests: Mutex<Vec<RecordedRequest>>,
    pub conns: Registry,
    pub want_down: watch::Sender<bool>,
    pub is_down: watch::Sender<bool>,
    pub shutdown: watch::Sender<bool>,
}

impl Shared {
    fn new(opts: SimOptions, port: u16) -> Shared {
        let host = Host::new(Env::new(&opts));
        Shared {
            state: Mutex::new(State {
                catalog: opts.catalog.clone(),
                host,
            }),
            opts,
            port,
            load_lock: Arc::new(tokio::sync::Mutex::new(())),
            faults: Mutex::new(FaultState::default()),
            requests: Mutex::new(Vec::new()),
            conns: Registry::default(),
            want_down: watch::Sender::new(false),
            is_down: watch::Sender::new(false),
            shutdown: watch::Sender::new(false),
        }
    }

    /// An installed model by any spelling of its name.
    pub fn installed(&self, name: &str) -> Option<CatalogModel> {
        lock(&self.state)
            .catalog
            .models
            .iter()
            .find(|m| m.installed && crate::names::same_model(&m.name, name))
            .cloned()
    }

    /// Unloads models whose keep-alive ran out.
    pub fn sweep(&self) {
        lock(&self.state).host.sweep(Timestamp::now());
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// A running stand-in. Dropping it stops the server.
pub struct SimHandle {
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
}

/// Starts the stand-in on 127.0.0.1 and returns once it accepts connections.
pub async fn start(opts: SimOptions) -> Result<SimHandle, SimError> {
    let listener = conn::bind(opts.port).map_err(|source| SimError::Bind {
        port: opts.port,
        source,
    })?;
    let port = listener
        .local_addr()
        .map_err(|source| SimError::Bind {
            port: opts.port,
            source,
        })?
        .port();
    let shared = Arc::new(Shared::new(opts, port));
    let task = tokio::spawn(serve_loop(shared.clone(), listener));
    tokio::spawn(sweeper(shared.clone()));
    Ok(SimHandle {
        shared,
        task: Some(task),
    })
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        self.shared.url()
    }

    pub fn port(&self) -> u16 {
        self.shared.port
    }

    pub fn control(&self) -> SimControl {
        SimControl::new(self.shared.clone())
    }

    /// Stops accepting, closes every connection and waits for the server to end.
    pub async fn shutdown(mut self) {
        self.shared.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
    }
}

async fn serve_loop(shared: Arc<Shared>, first: TcpListener) {
    let app = super::api::router(shared.clone());
    let mut listener = first;
    loop {
        let incoming = KillableListener::new(listener, shared.conns.clone());
        let service = app
            .clone()
            .into_make_service_with_connect_info::<ConnInfo>();
        let _ = axum::serve(incoming, service)
            .with_graceful_shutdown(stop_signal(shared.clone()))
            .await;
        shared.is_down.send_replace(true);
        let mut want_down = shared.want_down.subscribe();
        let mut shutdown = shared.shutdown.subscribe();
        tokio::select! {
            _ = want_down.wait_for(|d| !*d) => {}
            _ = shutdown.wait_for(|s| *s) => {}
        }
        if *shared.shutdown.borrow() {
            return;
        }
        listener = match rebind(shared.port).await {
            Some(l) => l,
            None => return,
        };
        shared.is_down.send_replace(false);
    }
}

/// Resolves when the server must go down or stop; cuts every open connection, as
/// a dying process would.
async fn stop_signal(shared: Arc<Shared>) {
    let mut want_down = shared.want_down.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    tokio::select! {
        _ = want_down.wait_for(|d| *d) => {}
        _ = shutdown.wait_for(|s| *s) => {}
    }
    shared.conns.kill_all();
}

/// The old socket may linger for a moment; retry briefly.
async fn rebind(port: u16) -> Option<TcpListener> {
    for _ in 0..100 {
        if let Ok(l) = conn::bind(port) {
            return Some(l);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    None
}

async fn sweeper(shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    let mut tick = tokio::time::interval(shared.opts.sweep_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => shared.sweep(),
            _ = shutdown.wait_for(|s| *s) => return,
        }
    }
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("url", &self.url())
            .finish()
    }
}
