//! Who a process is: its user and group ids (getuid 174, geteuid 175, getgid 176,
//! getegid 177, getresuid 148, getresgid 150, getgroups 158 and the set* calls 143-147,
//! 149, 159), its file-mode creation mask (umask 166), and the permission check that uses
//! them (faccessat 48, faccessat2 439).
//!
//! init starts as root (every id 0, no supplementary groups, umask 022), as a minimal init
//! system runs; fork copies the credentials and the mask, execve keeps them (no set-user-ID
//! files here). Capabilities follow the effective user id only: a process is privileged
//! (CAP_SETUID, CAP_SETGID, CAP_DAC_OVERRIDE) while its effective uid is 0, which is what
//! Linux's capability rules come to for a process that never calls capset.
//! Every file belongs to root (uid 0, gid 0).

use crate::errno::Errno;
use crate::fs::files::{self, File};
use crate::proc::Process;
use crate::syscall::SysResult;
use alloc::vec::Vec;
use mm_core::VirtAddr;

/// Linux's NGROUPS_MAX.
const NGROUPS_MAX: u64 = 65536;
/// An id argument of -1 (as a 32-bit id): "leave it as it is".
const KEEP: u32 = u32::MAX;

/// A process's credentials and umask (inherited by fork, kept by execve).
#[derive(Clone, Debug)]
pub struct Cred {
    pub ruid: u32,
    pub euid: u32,
    pub suid: u32,
    pub rgid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub groups: Vec<u32>,
    pub umask: u32,
}

impl Cred {
    /// init's: root, no supplementary groups, umask 022.
    pub const fn root() -> Cred {
        Cred {
            ruid: 0,
            euid: 0,
            suid: 0,
            rgid: 0,
            egid: 0,
            sgid: 0,
            groups: Vec::new(),
            umask: 0o022,
        }
    }

    fn privileged(&self) -> bool {
        self.euid == 0
    }
}

/// The uid-changing calls share their rules; `Uid` or `Gid` says which set of ids.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Uid,
    Gid,
}

fn ids(c: &mut Cred, w: Which) -> (&mut u32, &mut u32, &mut u32) {
    match w {
        Which::Uid => (&mut c.ruid, &mut c.euid, &mut c.suid),
        Which::Gid => (&mut c.rgid, &mut c.egid, &mut c.sgid),
    }
}

/// getuid, geteuid, getgid, getegid.
pub fn get(p: &Process, w: Which, effective: bool) -> SysResult {
    let c = &p.cred;
    Ok(i64::from(match (w, effective) {
        (Which::Uid, false) => c.ruid,
        (Which::Uid, true) => c.euid,
        (Which::Gid, false) => c.rgid,
        (Which::Gid, true) => c.egid,
    }))
}

/// getresuid(ruid, euid, suid) and getresgid: the three ids, each to a 32-bit slot.
pub fn getres(p: &mut Process, w: Which, ptrs: [u64; 3]) -> SysResult {
    let mut c = p.cred.clone();
    let (r, e, s) = ids(&mut c, w);
    for (ptr, v) in ptrs.into_iter().zip([*r, *e, *s]) {
        if p.space.copy_out(VirtAddr(ptr), &v.to_le_bytes()).is_err() {
            return Err(Errno::EFAULT);
        }
    }
    Ok(0)
}

/// setuid(id) / setgid(id): privileged, all three ids; otherwise only the effective one,
/// to the real or saved id (EPERM else). -1 is not an id: EINVAL.
pub fn set(p: &mut Process, w: Which, id: u64) -> SysResult {
    let id = id as u32;
    if id == KEEP {
        return Err(Errno::EINVAL);
    }
    let privileged = p.cred.privileged();
    let (r, e, s) = ids(&mut p.cred, w);
    if privileged {
        (*r, *e, *s) = (id, id, id);
    } else if id == *r || id == *s {
        *e = id;
    } else {
        return Err(Errno::EPERM);
    }
    Ok(0)
}

/// setreuid(r, e) / setregid: -1 keeps an id. Unprivileged, the real id may become the
/// real or effective one, the effective id the real, effective or saved one. The saved id
/// follows the new effective id when the real id is set or the effective id becomes other
/// than the old real id.
pub fn setre(p: &mut Process, w: Which, new_r: u64, new_e: u64) -> SysResult {
    let (new_r, new_e) = (new_r as u32, new_e as u32);
    let privileged = p.cred.privileged();
    let (r, e, s) = ids(&mut p.cred, w);
    let (old_r, old_e, old_s) = (*r, *e, *s);
    if !privileged
        && ((new_r != KEEP && new_r != old_r && new_r != old_e)
            || (new_e != KEEP && new_e != old_r && new_e != old_e && new_e != old_s))
    {
        return Err(Errno::EPERM);
    }
    if new_r != KEEP {
        *r = new_r;
    }
    if new_e != KEEP {
        *e = new_e;
    }
    if new_r != KEEP || (new_e != KEEP && new_e != old_r) {
        *s = *e;
    }
    Ok(0)
}

/// setresuid(r, e, s) / setresgid: -1 keeps an id; unprivileged, each new id must be one
/// of the current three.
pub fn setres(p: &mut Process, w: Which, new: [u64; 3]) -> SysResult {
    let new = new.map(|v| v as u32);
    let privileged = p.cred.privileged();
    let (r, e, s) = ids(&mut p.cred, w);
    let old = [*r, *e, *s];
    if !privileged && new.iter().any(|&n| n != KEEP && !old.contains(&n)) {
        return Err(Errno::EPERM);
    }
    for (slot, n) in [r, e, s].into_iter().zip(new) {
        if n != KEEP {
            *slot = n;
        }
    }
    Ok(0)
}

/// getgroups(size, list): the number of supplementary groups when size is 0; else EINVAL
/// when they do not fit (or size is negative), and they go to `list`.
pub fn getgroups(p: &mut Process, size: u64, list: u64) -> SysResult {
    let size = size as i32;
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    let n = p.cred.groups.len();
    if size == 0 {
        return Ok(n as i64);
    }
    if (size as usize) < n {
        return Err(Errno::EINVAL);
    }
    let raw: Vec<u8> = p.cred.groups.iter().flat_map(|g| g.to_le_bytes()).collect();
    match p.space.copy_out(VirtAddr(list), &raw) {
        Ok(()) => Ok(n as i64),
        Err(_) => Err(Errno::EFAULT),
    }
}

/// setgroups(size, list): privileged only (EPERM), at most NGROUPS_MAX (EINVAL).
pub fn setgroups(p: &mut Process, size: u64, list: u64) -> SysResult {
    if !p.cred.privileged() {
        return Err(Errno::EPERM);
    }
    let size = size as i32;
    if size < 0 || size as u64 > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    let mut raw = alloc::vec![0u8; size as usize * 4];
    if p.space.copy_in(VirtAddr(list), &mut raw).is_err() {
        return Err(Errno::EFAULT);
    }
    let mut groups: Vec<u32> = raw
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    // Linux keeps them sorted (groups_sort); getgroups returns them in that order.
    groups.sort_unstable();
    p.cred.groups = groups;
    Ok(0)
}

/// umask(mask): sets the mask's permission bits, returns the old mask. (No call here
/// creates files yet: the initramfs is read-only.)
pub fn umask(p: &mut Process, mask: u64) -> SysResult {
    let old = p.cred.umask;
    p.cred.umask = mask as u32 & 0o777;
    Ok(i64::from(old))
}

const R_OK: u64 = 4;
const W_OK: u64 = 2;
const X_OK: u64 = 1;
const AT_FDCWD: i64 = -100;
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
const AT_EACCESS: u64 = 0x200;
const AT_EMPTY_PATH: u64 = 0x1000;

/// faccessat(dirfd, path, mode) (flags 0) and faccessat2(dirfd, path, mode, flags):
/// whether the process may read (R_OK), write (W_OK) or execute (X_OK) what `path` names,
/// or whether it exists (F_OK, 0), with its real ids (its effective ones with AT_EACCESS).
/// Bits beyond R|W|X in `mode`, or flags beyond AT_EACCESS, AT_SYMLINK_NOFOLLOW and
/// AT_EMPTY_PATH: EINVAL (checked first, as Linux does). The owner's, group's or others'
/// bits of the file's mode apply; root may read and write anything and execute what has
/// an x bit or is a directory (so root may "write" any /proc file, as on Linux). The
/// initramfs's files and directories and the disks answer W_OK with EROFS: nothing here
/// writes them (openat refuses to open them for writing with EROFS).
pub fn faccessat(p: &mut Process, dirfd: i64, path: VirtAddr, mode: u64, flags: u64) -> SysResult {
    if mode & !(R_OK | W_OK | X_OK) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = files::user_path(p, path)?;
    let file = if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        if dirfd == AT_FDCWD {
            File::Dir { path: "", pos: 0 }
        } else {
            p.files.get(dirfd as u64).ok_or(Errno::EBADF)?
        }
    } else {
        files::lookup(p, dirfd, &path)?
    };
    if mode == 0 {
        return Ok(0);
    }
    let c = &p.cred;
    let (uid, gid) = if flags & AT_EACCESS != 0 {
        (c.euid, c.egid)
    } else {
        (c.ruid, c.rgid)
    };
    let fmode = files::mode_of(file);
    let is_dir = fmode & 0o170000 == 0o040000;
    let allowed = if uid == 0 {
        // CAP_DAC_OVERRIDE: read and write always; execute when some x bit is set (or it
        // is a directory, to search).
        mode & X_OK == 0 || is_dir || fmode & 0o111 != 0
    } else {
        // Every file is root's (uid 0, gid 0).
        let bits = if gid == 0 || c.groups.contains(&0) {
            (fmode >> 3) & 7
        } else {
            fmode & 7
        };
        u64::from(bits) & mode == mode
    };
    if !allowed {
        return Err(Errno::EACCES);
    }
    if mode & W_OK != 0 {
        match file {
            File::Initramfs { .. } | File::Dir { .. } | File::BlockDev { .. } => {
                return Err(Errno::EROFS)
            }
            _ => {}
        }
    }
    Ok(0)
}
