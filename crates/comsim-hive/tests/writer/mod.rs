//! A test-only hive writer, for what hivexregedit does not write: index roots (`ri`) over several
//! leaves, and big data (`db`) for values over 16,344 bytes (hivex stores those in one cell), and
//! for large generated hives. It writes one hive bin holding every cell; the layout is the one
//! `src/cells.rs` describes.

#![allow(dead_code)]

/// A key to write.
#[derive(Debug, Clone, Default)]
pub struct Key {
    pub name: String,
    pub values: Vec<(String, u32, Vec<u8>)>,
    pub children: Vec<Key>,
}

/// How lists are written.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// Subkey lists longer than this become an `ri` over leaves of this many.
    pub leaf_max: usize,
}

const SEGMENT: usize = 16_344;

struct Bins(Vec<u8>);

impl Bins {
    /// Appends an allocated cell holding `data`; returns its offset from the first bin.
    fn cell(&mut self, data: &[u8]) -> u32 {
        let off = self.0.len() as u32;
        let size = (data.len() + 4).div_ceil(8) * 8;
        self.0.extend_from_slice(&(-(size as i32)).to_le_bytes());
        self.0.extend_from_slice(data);
        self.0.resize(off as usize + size, 0);
        off
    }
}

fn name_bytes(name: &str) -> (Vec<u8>, bool) {
    if name.chars().all(|c| (c as u32) < 0x100) {
        (name.chars().map(|c| c as u8).collect(), true)
    } else {
        (
            name.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            false,
        )
    }
}

fn value(b: &mut Bins, name: &str, ty: u32, data: &[u8]) -> u32 {
    let (n, compressed) = name_bytes(name);
    let (size, off) = if data.len() <= 4 {
        let mut inline = [0u8; 4];
        inline[..data.len()].copy_from_slice(data);
        (0x8000_0000 | data.len() as u32, u32::from_le_bytes(inline))
    } else if data.len() > SEGMENT {
        let segs: Vec<u32> = data.chunks(SEGMENT).map(|c| b.cell(c)).collect();
        let list: Vec<u8> = segs.iter().flat_map(|s| s.to_le_bytes()).collect();
        let list = b.cell(&list);
        let mut db = b"db".to_vec();
        db.extend((segs.len() as u16).to_le_bytes());
        db.extend(list.to_le_bytes());
        db.extend([0u8; 4]);
        (data.len() as u32, b.cell(&db))
    } else {
        (data.len() as u32, b.cell(data))
    };
    let mut vk = b"vk".to_vec();
    vk.extend((n.len() as u16).to_le_bytes());
    vk.extend(size.to_le_bytes());
    vk.extend(off.to_le_bytes());
    vk.extend(ty.to_le_bytes());
    vk.extend(u16::from(compressed).to_le_bytes());
    vk.extend([0u8; 2]);
    vk.extend(&n);
    b.cell(&vk)
}

fn leaf(b: &mut Bins, kids: &[u32], i: usize) -> u32 {
    // Alternate the three leaf kinds; the reader ignores the hashes.
    let sig: &[u8; 2] = [b"lh", b"lf", b"li"][i % 3];
    let mut l = sig.to_vec();
    l.extend((kids.len() as u16).to_le_bytes());
    for k in kids {
        l.extend(k.to_le_bytes());
        if sig != b"li" {
            l.extend([0u8; 4]);
        }
    }
    b.cell(&l)
}

fn key(b: &mut Bins, k: &Key, layout: Layout, flags: u16) -> u32 {
    let kids: Vec<u32> = k.children.iter().map(|c| key(b, c, layout, 0)).collect();
    let list = if kids.is_empty() {
        u32::MAX
    } else if kids.len() <= layout.leaf_max {
        leaf(b, &kids, 0)
    } else {
        let leaves: Vec<u32> = kids
            .chunks(layout.leaf_max)
            .enumerate()
            .map(|(i, c)| leaf(b, c, i))
            .collect();
        let mut ri = b"ri".to_vec();
        ri.extend((leaves.len() as u16).to_le_bytes());
        for l in leaves {
            ri.extend(l.to_le_bytes());
        }
        b.cell(&ri)
    };
    let vals: Vec<u32> = k
        .values
        .iter()
        .map(|(n, t, d)| value(b, n, *t, d))
        .collect();
    let vlist = if vals.is_empty() {
        u32::MAX
    } else {
        b.cell(
            &vals
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect::<Vec<u8>>(),
        )
    };
    let (n, compressed) = name_bytes(&k.name);
    let mut nk = vec![0u8; 76];
    nk[..2].copy_from_slice(b"nk");
    nk[2..4].copy_from_slice(&(flags | if compressed { 0x20 } else { 0 }).to_le_bytes());
    nk[20..24].copy_from_slice(&(kids.len() as u32).to_le_bytes());
    nk[28..32].copy_from_slice(&list.to_le_bytes());
    nk[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
    nk[36..40].copy_from_slice(&(vals.len() as u32).to_le_bytes());
    nk[40..44].copy_from_slice(&vlist.to_le_bytes());
    nk[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
    nk[48..52].copy_from_slice(&u32::MAX.to_le_bytes());
    nk[72..74].copy_from_slice(&(n.len() as u16).to_le_bytes());
    nk.extend(&n);
    b.cell(&nk)
}

/// A whole hive file (format 1.5) whose root key is `root`.
pub fn write(root: &Key, layout: Layout) -> Vec<u8> {
    let mut b = Bins(vec![0; 32]);
    let root_off = key(&mut b, root, layout, 0x2C);
    let mut bins = b.0;
    let len = bins.len().div_ceil(4096) * 4096;
    let free = len - bins.len();
    if free > 0 {
        let at = bins.len();
        bins.resize(len, 0);
        if free >= 8 {
            bins[at..at + 4].copy_from_slice(&(free as i32).to_le_bytes());
        } else {
            // Too small for a free cell: widen the last one? Simpler: pad with a full page.
            bins.resize(len + 4096, 0);
            bins[at..at + 4].copy_from_slice(&((free + 4096) as i32).to_le_bytes());
        }
    }
    let len = bins.len();
    bins[..4].copy_from_slice(b"hbin");
    bins[8..12].copy_from_slice(&(len as u32).to_le_bytes());
    let mut base = vec![0u8; 4096];
    base[..4].copy_from_slice(b"regf");
    for (at, v) in [
        (4, 1u32),
        (8, 1),
        (20, 1),
        (24, 5),
        (28, 0),
        (32, 1),
        (36, root_off),
        (40, len as u32),
        (44, 1),
    ] {
        base[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    let mut x = 0u32;
    for c in base[..508].chunks_exact(4) {
        x ^= u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    base[508..512].copy_from_slice(&x.to_le_bytes());
    base.extend(bins);
    base
}
