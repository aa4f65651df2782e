use super::*;

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

/// A trimmed node_exporter page: Go runtime metrics, a summary, CPU counters and the
/// memory gauges in the exporter's %g notation.
const NODE: &str = r#"# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 2.3281e-05
go_gc_duration_seconds{quantile="0.5"} 4.1752e-05
go_gc_duration_seconds{quantile="1"} 0.000310871
go_gc_duration_seconds_sum 0.112538745
go_gc_duration_seconds_count 2109
# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 1.03767658e+06
node_cpu_seconds_total{cpu="0",mode="user"} 12043.61
# HELP node_memory_Active_bytes Memory information field Active_bytes.
# TYPE node_memory_Active_bytes gauge
node_memory_Active_bytes 6.017122304e+09
# HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.
# TYPE node_memory_MemAvailable_bytes gauge
node_memory_MemAvailable_bytes 2.4725102592e+10
# HELP node_memory_MemFree_bytes Memory information field MemFree_bytes.
# TYPE node_memory_MemFree_bytes gauge
node_memory_MemFree_bytes 1.2893245440e+10
# HELP node_memory_MemTotal_bytes Memory information field MemTotal_bytes.
# TYPE node_memory_MemTotal_bytes gauge
node_memory_MemTotal_bytes 3.3567076352e+10
# HELP node_memory_SwapFree_bytes Memory information field SwapFree_bytes.
# TYPE node_memory_SwapFree_bytes gauge
node_memory_SwapFree_bytes 6.442450944e+09
# HELP node_memory_SwapTotal_bytes Memory information field SwapTotal_bytes.
# TYPE node_memory_SwapTotal_bytes gauge
node_memory_SwapTotal_bytes 8.589930496e+09
# HELP node_network_receive_bytes_total Network device statistic receive_bytes.
# TYPE node_network_receive_bytes_total counter
node_network_receive_bytes_total{device="eth0"} 9.2418532e+08
# HELP promhttp_metric_handler_requests_total Total number of scrapes by HTTP status code.
# TYPE promhttp_metric_handler_requests_total counter
promhttp_metric_handler_requests_total{code="200"} 1431
"#;

/// dcgm-exporter with two GPUs, the second listed first, and other DCGM fields.
const DCGM: &str = r#"# HELP DCGM_FI_DEV_SM_CLOCK SM clock frequency (in MHz).
# TYPE DCGM_FI_DEV_SM_CLOCK gauge
DCGM_FI_DEV_SM_CLOCK{gpu="1",UUID="GPU-2b1c7d9e-5f3a-4c2b-9e8d-7a6b5c4d3e2f",pci_bus_id="00000000:86:00.0",device="nvidia1",modelName="NVIDIA L40S",Hostname="gpu-node-7",DCGM_FI_DRIVER_VERSION="550.90.07"} 210
DCGM_FI_DEV_SM_CLOCK{gpu="0",UUID="GPU-8f6c1a2b-3d4e-5f60-7182-93a4b5c6d7e8",pci_bus_id="00000000:3B:00.0",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-node-7",DCGM_FI_DRIVER_VERSION="550.90.07"} 1410
# HELP DCGM_FI_DEV_FB_FREE Framebuffer memory free (in MiB).
# TYPE DCGM_FI_DEV_FB_FREE gauge
DCGM_FI_DEV_FB_FREE{gpu="1",UUID="GPU-2b1c7d9e-5f3a-4c2b-9e8d-7a6b5c4d3e2f",pci_bus_id="00000000:86:00.0",device="nvidia1",modelName="NVIDIA L40S",Hostname="gpu-node-7",DCGM_FI_DRIVER_VERSION="550.90.07"} 45488
DCGM_FI_DEV_FB_FREE{gpu="0",UUID="GPU-8f6c1a2b-3d4e-5f60-7182-93a4b5c6d7e8",pci_bus_id="00000000:3B:00.0",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-node-7",DCGM_FI_DRIVER_VERSION="550.90.07"} 61234
# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).
# TYPE DCGM_FI_DEV_FB_USED gauge
DCGM_FI_DEV_FB_USED{gpu="1",UUID="GPU-2b1c7d9e-5f3a-4c2b-9e8d-7a6b5c4d3e2f",pci_bus_id="00000000:86:00.0",device="nvidia1",modelName="NVIDIA L40S",Hostname="gpu-node-7",DCGM_FI_DRIVER_VERSION="550.90.07"} 1
DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-8f6c1a2b-3d4e-5f60-7182-93a4b5c6d7e8",pci_bus_id="00000000:3B:00.0",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-node-7",DCGM_FI_DRIVER_VERSION="550.90.07"} 19803
# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-8f6c1a2b-3d4e-5f60-7182-93a4b5c6d7e8",pci_bus_id="00000000:3B:00.0",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-node-7",DCGM_FI_DRIVER_VERSION="550.90.07"} 87
"#;

/// nvidia_gpu_exporter: memory series keyed by uuid alone, identity on gpu_info.
const SMI: &str = r#"# HELP nvidia_smi_gpu_info A metric with a constant '1' value labeled by gpu uuid, name, driver_model_current, driver_model_pending, vbios_version, driver_version.
# TYPE nvidia_smi_gpu_info gauge
nvidia_smi_gpu_info{driver_model_current="",driver_model_pending="",driver_version="550.54.14",index="1",name="NVIDIA GeForce RTX 3060",uuid="a1b2c3d4-0000-4000-8000-000000000002",vbios_version="94.06.2f.00.9a"} 1
nvidia_smi_gpu_info{driver_model_current="",driver_model_pending="",driver_version="550.54.14",index="0",name="NVIDIA GeForce RTX 4090",uuid="a1b2c3d4-0000-4000-8000-000000000001",vbios_version="95.02.18.80.5f"} 1
# HELP nvidia_smi_memory_free_bytes memory.free [MiB]
# TYPE nvidia_smi_memory_free_bytes gauge
nvidia_smi_memory_free_bytes{uuid="a1b2c3d4-0000-4000-8000-000000000002"} 1.2276727808e+10
nvidia_smi_memory_free_bytes{uuid="a1b2c3d4-0000-4000-8000-000000000001"} 5.062524928e+09
# HELP nvidia_smi_memory_total_bytes memory.total [MiB]
# TYPE nvidia_smi_memory_total_bytes gauge
nvidia_smi_memory_total_bytes{uuid="a1b2c3d4-0000-4000-8000-000000000002"} 1.2884901888e+10
nvidia_smi_memory_total_bytes{uuid="a1b2c3d4-0000-4000-8000-000000000001"} 2.5757220864e+10
# HELP nvidia_smi_memory_used_bytes memory.used [MiB]
# TYPE nvidia_smi_memory_used_bytes gauge
nvidia_smi_memory_used_bytes{uuid="a1b2c3d4-0000-4000-8000-000000000002"} 2.68435456e+08
nvidia_smi_memory_used_bytes{uuid="a1b2c3d4-0000-4000-8000-000000000001"} 2.0132659200e+10
# HELP nvidia_smi_temperature_gpu temperature.gpu
# TYPE nvidia_smi_temperature_gpu gauge
nvidia_smi_temperature_gpu{uuid="a1b2c3d4-0000-4000-8000-000000000001"} 61
"#;

fn gpu(name: &str, total: u64, used: u64) -> GpuMemory {
    GpuMemory {
        name: name.into(),
        total,
        used,
    }
}

fn parse(text: &str) -> ExporterReading {
    parse_metrics(text).expect("an exporter page")
}

#[test]
fn node_exporter_gives_ram_and_swap() {
    let r = parse(NODE);
    assert_eq!(
        r.ram,
        Some(RamFigures {
            total: 33_567_076_352,
            available: 24_725_102_592,
        })
    );
    assert_eq!(
        r.swap,
        Some(SwapFigures {
            total: 8_589_930_496,
            free: 6_442_450_944,
        })
    );
    assert!(r.gpus.is_empty());
    let snap = r
        .into_snapshot(&["http://n:9100/metrics".into()])
        .expect("RAM");
    assert_eq!(snap.ram_used, 33_567_076_352 - 24_725_102_592);
    assert_eq!(snap.swap_used, 8_589_930_496 - 6_442_450_944);
}

#[test]
fn swap_without_total_is_all_free() {
    let r = parse("node_memory_SwapFree_bytes 1.073741824e+09\n");
    assert_eq!(
        r.swap,
        Some(SwapFigures {
            total: GIB,
            free: GIB,
        })
    );
    assert_eq!(r.ram, None);
}

#[test]
fn dcgm_gpus_come_in_index_order_converted_from_mib() {
    let r = parse(DCGM);
    assert_eq!(
        r.gpus,
        vec![
            gpu(
                "NVIDIA A100-SXM4-80GB",
                (61_234 + 19_803) * MIB,
                19_803 * MIB
            ),
            gpu("NVIDIA L40S", 45_489 * MIB, MIB),
        ]
    );
    assert_eq!(r.ram, None);
}

#[test]
fn dcgm_reserved_framebuffer_counts_as_used() {
    let page = "DCGM_FI_DEV_FB_FREE{gpu=\"0\",modelName=\"NVIDIA H100 80GB HBM3\"} 80000\n\
                DCGM_FI_DEV_FB_USED{gpu=\"0\",modelName=\"NVIDIA H100 80GB HBM3\"} 1000\n\
                DCGM_FI_DEV_FB_RESERVED{gpu=\"0\",modelName=\"NVIDIA H100 80GB HBM3\"} 559\n";
    let r = parse(page);
    assert_eq!(
        r.gpus,
        vec![gpu("NVIDIA H100 80GB HBM3", 81_559 * MIB, 1_559 * MIB)]
    );
    assert_eq!(r.gpus[0].free(), 80_000 * MIB);
}

#[test]
fn dcgm_mig_instances_are_separate_devices() {
    let series = |metric: &str, id: u32, v: u32| {
        format!(
            "{metric}{{gpu=\"0\",modelName=\"NVIDIA A100-SXM4-40GB\",GPU_I_PROFILE=\"3g.20gb\",GPU_I_ID=\"{id}\"}} {v}\n"
        )
    };
    let page = [
        series("DCGM_FI_DEV_FB_FREE", 2, 9000),
        series("DCGM_FI_DEV_FB_FREE", 1, 19000),
        series("DCGM_FI_DEV_FB_USED", 2, 10000),
        series("DCGM_FI_DEV_FB_USED", 1, 0),
    ]
    .concat();
    let r = parse(&page);
    let name = "NVIDIA A100-SXM4-40GB MIG 3g.20gb";
    assert_eq!(
        r.gpus,
        vec![
            gpu(name, 19_000 * MIB, 0),
            gpu(name, 19_000 * MIB, 10_000 * MIB)
        ]
    );
}

#[test]
fn dcgm_gpu_with_half_its_figures_is_left_out() {
    let page = "DCGM_FI_DEV_FB_FREE{gpu=\"0\",modelName=\"A\"} 100\n\
                DCGM_FI_DEV_FB_USED{gpu=\"1\",modelName=\"B\"} 100\n\
                DCGM_FI_DEV_FB_FREE{gpu=\"2\",modelName=\"\"} 3\n\
                DCGM_FI_DEV_FB_USED{gpu=\"2\",modelName=\"\"} 1\n";
    assert_eq!(parse(page).gpus, vec![gpu("GPU 2", 4 * MIB, MIB)]);
}

#[test]
fn nvidia_gpu_exporter_takes_name_and_order_from_gpu_info() {
    let r = parse(SMI);
    assert_eq!(
        r.gpus,
        vec![
            gpu(
                "NVIDIA GeForce RTX 4090",
                25_757_220_864,
                25_757_220_864 - 5_062_524_928
            ),
            gpu(
                "NVIDIA GeForce RTX 3060",
                12_884_901_888,
                12_884_901_888 - 12_276_727_808
            ),
        ]
    );
}

#[test]
fn nvidia_gpu_exporter_without_total_or_info_still_reads() {
    let page = "nvidia_smi_memory_free_bytes{uuid=\"u1\"} 1000\n\
                nvidia_smi_memory_used_bytes{uuid=\"u1\"} 200\n\
                nvidia_smi_memory_reserved_bytes{uuid=\"u1\"} 48\n\
                nvidia_smi_memory_free_bytes{uuid=\"u2\"} 5\n";
    assert_eq!(parse(page).gpus, vec![gpu("GPU u1", 1248, 248)]);
}

#[test]
fn one_page_may_hold_several_exporters() {
    let r = parse(&format!("{NODE}{DCGM}"));
    assert!(r.ram.is_some());
    assert_eq!(r.gpus.len(), 2);
}

#[test]
fn gpu_names_from_a_server_are_sanitised() {
    let page = "nvidia_smi_gpu_info{uuid=\"u\",name=\"RTX\u{1b}]0;owned\u{7} 4090\",index=\"0\"} 1\n\
                nvidia_smi_memory_total_bytes{uuid=\"u\"} 10\n\
                nvidia_smi_memory_free_bytes{uuid=\"u\"} 4\n";
    assert_eq!(parse(page).gpus, vec![gpu("RTX 4090", 10, 6)]);
}

#[test]
fn unknown_metrics_give_an_empty_reading() {
    let page = "# HELP up Whether the target is up.\n# TYPE up gauge\nup 1\n\
                prometheus_tsdb_head_series 12873\n";
    assert!(parse(page).is_empty());
}

#[test]
fn missing_or_bad_figures_leave_ram_unknown() {
    let page = "node_memory_MemTotal_bytes 3.3567076352e+10\n";
    assert_eq!(parse(page).ram, None);
    let page = "node_memory_MemTotal_bytes 3.3567076352e+10\n\
                node_memory_MemAvailable_bytes NaN\n";
    assert_eq!(parse(page).ram, None);
    let page = "node_memory_MemTotal_bytes -1\nnode_memory_MemAvailable_bytes 1\n";
    assert_eq!(parse(page).ram, None);
}

#[test]
fn malformed_lines_are_skipped_and_the_rest_read() {
    let page = "node_memory_MemTotal_bytes{ 12\n\
                this is not a metric\n\
                node_memory_MemAvailable_bytes lots\n\
                node_memory_MemAvailable_bytes 2e9\n\
                node_memory_MemTotal_bytes 4e9\n";
    assert_eq!(
        parse(page).ram,
        Some(RamFigures {
            total: 4_000_000_000,
            available: 2_000_000_000,
        })
    );
}

#[test]
fn pages_that_are_not_prometheus_text_are_errors() {
    let reason = |text: &str| match parse_metrics(text) {
        Err(ExporterError::NotPrometheus { reason }) => reason,
        other => panic!("{text:?} gave {other:?}"),
    };
    let html =
        "<!DOCTYPE html>\n<html><head><title>Grafana</title></head>\n<body>x 1</body></html>\n";
    assert_eq!(reason(html), "the page is HTML");
    assert_eq!(reason("{\"models\":[]}"), "the page is JSON");
    assert_eq!(reason(" \n\n"), "the page is empty");
    assert_eq!(reason("Ollama is running"), "no metric line in the page");
    assert_eq!(
        reason("# HELP only comments\n"),
        "no metric line in the page"
    );
}

#[test]
fn pages_merge_ram_first_come_and_gpus_in_page_order() {
    let mut merged = parse(DCGM);
    merged.merge(parse(NODE));
    merged.merge(parse(SMI));
    merged.merge(parse(
        "node_memory_MemTotal_bytes 1\nnode_memory_MemAvailable_bytes 1\n",
    ));
    let snap = merged.into_snapshot(&[]).expect("RAM from the node page");
    assert_eq!(snap.ram_total, 33_567_076_352);
    let names: Vec<&str> = snap.gpus.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "NVIDIA A100-SXM4-80GB",
            "NVIDIA L40S",
            "NVIDIA GeForce RTX 4090",
            "NVIDIA GeForce RTX 3060"
        ]
    );
}

#[test]
fn a_snapshot_needs_ram_figures() {
    let urls = ["http://gpu:9400/metrics".to_string()];
    let err = parse(DCGM).into_snapshot(&urls).expect_err("no RAM");
    assert_eq!(
        err.to_string(),
        "no node_exporter memory figures (node_memory_MemAvailable_bytes) at \
         http://gpu:9400/metrics"
    );
}

#[test]
fn errors_read_as_plain_words() {
    let e = ExporterError::Status {
        status: 404,
        body: "404 page not found".into(),
    }
    .at("http://h:9100/metric\u{1b}[2Js");
    assert_eq!(
        e.to_string(),
        "http://h:9100/metrics: the exporter answered HTTP 404: 404 page not found"
    );
    let e = ExporterError::Timeout {
        after: FETCH_TIMEOUT,
    };
    assert_eq!(e.to_string(), "no answer within 2s");
    assert!(
        ExporterError::NoFigures
            .to_string()
            .contains("DCGM_FI_DEV_FB_FREE")
    );
}

mod fetching {
    use super::*;
    use crate::memory::MemorySource;
    use crate::sim::{self, Fault, GpuSpec, SimOptions};

    fn http() -> reqwest::Client {
        crate::ollama::client::raw_http()
    }

    async fn failure(urls: &[String]) -> String {
        read_exporters(&http(), urls)
            .await
            .expect_err("the read fails")
            .to_string()
    }

    #[tokio::test]
    async fn each_failure_names_its_url() {
        let s = sim::start(SimOptions::for_tests()).await.expect("starts");
        let url = |path: &str| format!("{}{path}", s.url());
        let metrics = url("/metrics");

        let e = failure(&[metrics.clone(), url("/api/nothing")]).await;
        assert_eq!(
            e,
            format!(
                "{}: the exporter answered HTTP 404: 404 page not found",
                url("/api/nothing")
            )
        );
        let e = failure(&[url("/")]).await;
        assert_eq!(
            e,
            format!(
                "{}: not Prometheus metrics: no metric line in the page",
                url("/")
            )
        );
        let e = failure(&[url("/api/tags")]).await;
        assert!(
            e.ends_with(": not Prometheus metrics: the page is JSON"),
            "{e}"
        );
        s.control().set_fault(Fault::Garbage, Some(1));
        let e = failure(&[url("/api/version")]).await;
        assert!(
            e.ends_with(": not Prometheus metrics: the page is HTML"),
            "{e}"
        );
        assert!(!e.contains('\u{1b}'));

        let e = failure(&["not a url".into()]).await;
        assert!(e.starts_with("not a url: not a usable URL ("), "{e}");
        assert_eq!(failure(&[]).await, "no exporter URL given");
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let url = format!("http://127.0.0.1:{port}/metrics");
        let e = failure(std::slice::from_ref(&url)).await;
        assert!(
            e.starts_with(&format!("{url}: cannot reach the exporter (")),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_slow_exporter_times_out() {
        let s = sim::start(SimOptions::for_tests()).await.expect("starts");
        s.control()
            .set_fault(Fault::Latency(FETCH_TIMEOUT * 2), Some(1));
        let url = format!("{}/api/version", s.url());
        let started = std::time::Instant::now();
        let e = failure(std::slice::from_ref(&url)).await;
        assert_eq!(e, format!("{url}: no answer within 2s"));
        assert!(started.elapsed() < FETCH_TIMEOUT * 2);
    }

    #[test]
    fn exporter_memory_keeps_the_last_good_snapshot_and_says_why() {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let opts = SimOptions {
            gpus: vec![GpuSpec {
                name: "RTX 4090".into(),
                vram: 24 * GIB,
            }],
            ..SimOptions::for_tests()
        };
        let s = rt.block_on(sim::start(opts)).expect("starts");
        let urls = vec![format!("{}/metrics?format=nvidia_smi", s.url())];
        let mut source = ExporterMemory::new(rt.handle().clone(), http(), urls);
        let slot = source.error_slot();

        let good = source.read();
        assert_eq!(good, s.control().memory());
        assert_eq!(source.last_error(), None);

        rt.block_on(s.control().set_down(true));
        assert_eq!(source.read(), good);
        let why = slot.get().expect("an error");
        assert!(why.contains("cannot reach the exporter"), "{why}");
        assert!(source.try_read().is_err());

        rt.block_on(s.control().set_down(false));
        assert_eq!(source.read(), good);
        assert_eq!(slot.get(), None);
    }

    #[test]
    fn exporter_memory_starts_from_zeros() {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let urls = vec!["http://127.0.0.1:1/metrics".to_string()];
        let mut source = ExporterMemory::new(rt.handle().clone(), http(), urls);
        assert_eq!(source.read(), MemorySnapshot::default());
        assert!(source.last_error().is_some());
    }
}
