//! AMD VRAM from sysfs: `card*/device/mem_info_vram_{total,used}` under the DRM class
//! directory. Anything missing or unreadable means "no AMD GPU here", never an error.

use std::fs;
use std::path::{Path, PathBuf};

use super::GpuMemory;
use crate::sanitize::clean;

/// Reads AMD GPUs under `root`, a directory holding `card0`, `card1`, ... entries
/// (`/sys/class/drm` on Linux; tests point it at a fake tree).
#[derive(Debug, Clone)]
pub struct AmdSysfs {
    root: PathBuf,
}

impl AmdSysfs {
    pub fn new(root: impl Into<PathBuf>) -> AmdSysfs {
        AmdSysfs { root: root.into() }
    }

    /// The real machine's DRM directory.
    pub fn system() -> AmdSysfs {
        AmdSysfs::new("/sys/class/drm")
    }

    /// One entry per card that reports VRAM, in card number order.
    pub fn read(&self) -> Vec<GpuMemory> {
        let Ok(dir) = fs::read_dir(&self.root) else {
            return Vec::new();
        };
        let mut cards: Vec<(u32, String)> = dir
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .filter_map(|name| card_number(&name).map(|n| (n, name)))
            .collect();
        cards.sort();
        cards
            .iter()
            .filter_map(|(_, card)| read_card(&self.root.join(card), card))
            .collect()
    }
}

/// `card3` → 3; connectors such as `card0-DP-1` and other entries → `None`.
fn card_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("card")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn read_card(card_dir: &Path, card: &str) -> Option<GpuMemory> {
    let device = card_dir.join("device");
    let total = read_u64(&device.join("mem_info_vram_total"))?;
    let used = read_u64(&device.join("mem_info_vram_used"))?;
    let name = fs::read_to_string(device.join("product_name"))
        .ok()
        .map(|s| clean(s.trim()).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| card.to_string());
    Some(GpuMemory { name, total, used })
}

fn read_u64(path: &Path) -> Option<u64> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        let parent = path.parent().expect("test paths have a parent");
        fs::create_dir_all(parent).expect("create fake sysfs dir");
        fs::write(&path, text).expect("write fake sysfs file");
    }

    #[test]
    fn reads_cards_in_order_and_skips_what_is_not_vram() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path();
        // Two AMD cards, card10 after card2 (numeric order), one named, one not.
        write(root, "card10/device/mem_info_vram_total", "8589934592\n");
        write(root, "card10/device/mem_info_vram_used", "1073741824\n");
        write(root, "card2/device/mem_info_vram_total", "25753026560\n");
        write(root, "card2/device/mem_info_vram_used", "  536870912 \n");
        write(
            root,
            "card2/device/product_name",
            "AMD Radeon RX 7900 XTX\u{1b}[31m\n",
        );
        // An NVIDIA or Intel card: a device dir without the vram files.
        write(root, "card0/device/vendor", "0x10de\n");
        // Garbage content and a missing used file.
        write(root, "card3/device/mem_info_vram_total", "lots\n");
        write(root, "card3/device/mem_info_vram_used", "12\n");
        write(root, "card4/device/mem_info_vram_total", "1000\n");
        // A connector and an unrelated entry that happen to look close.
        write(root, "card2-DP-1/device/mem_info_vram_total", "1\n");
        write(root, "card2-DP-1/device/mem_info_vram_used", "1\n");
        write(root, "renderD128/device/mem_info_vram_total", "1\n");

        let gpus = AmdSysfs::new(root).read();
        assert_eq!(
            gpus,
            vec![
                GpuMemory {
                    name: "AMD Radeon RX 7900 XTX".into(),
                    total: 25_753_026_560,
                    used: 536_870_912,
                },
                GpuMemory {
                    name: "card10".into(),
                    total: 8_589_934_592,
                    used: 1_073_741_824,
                },
            ]
        );
        assert_eq!(gpus[0].free(), 25_753_026_560 - 536_870_912);
    }

    #[test]
    fn a_missing_root_means_no_gpus() {
        let tmp = tempfile::tempdir().expect("temp dir");
        assert!(AmdSysfs::new(tmp.path().join("absent")).read().is_empty());
        assert!(AmdSysfs::new(tmp.path()).read().is_empty());
    }

    #[test]
    fn card_numbers() {
        assert_eq!(card_number("card0"), Some(0));
        assert_eq!(card_number("card12"), Some(12));
        assert_eq!(card_number("card"), None);
        assert_eq!(card_number("card1-HDMI-A-1"), None);
        assert_eq!(card_number("renderD128"), None);
    }
}
