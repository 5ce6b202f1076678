//! Process groups and sessions (credentials(7)): setpgid(154), getpgid(155), getsid(156),
//! setsid(157), with Linux's rules. init starts as the leader of session 1 and process
//! group 1; fork copies both, execve keeps them. The console's job control (its session and
//! foreground group) is in `fs::tty`.

use super::{Process, TABLE};
use crate::errno::Errno;
use crate::syscall::SysResult;

/// setpgid(pid, pgid): moves process `pid` (0: the caller), which must be the caller or a
/// child of it in its session that has not called execve (else ESRCH, EPERM, EACCES),
/// into process group `pgid` (0: `pid`'s own), which must exist in the caller's session
/// unless it is a new one led by `pid` (EPERM); a session leader cannot move (EPERM).
pub fn setpgid(p: &mut Process, pid: u64, pgid: u64) -> SysResult {
    let pid = pid as i32;
    let pgid = pgid as i32;
    if pgid < 0 || pid < 0 {
        return Err(Errno::EINVAL);
    }
    let pid = if pid == 0 { p.pid } else { pid as u32 };
    let pgid = if pgid == 0 { pid } else { pgid as u32 };
    let mut t = TABLE.lock();
    // The target's session, whether it is a session leader, and whether it is a child
    // that has called execve.
    let (sid, leader) = if pid == p.pid {
        (p.sid, p.sid == p.pid)
    } else {
        let Some(c) = t.live.get(pid).filter(|c| c.ppid == p.pid) else {
            return Err(Errno::ESRCH);
        };
        if c.sid != p.sid {
            return Err(Errno::EPERM);
        }
        if c.execed {
            return Err(Errno::EACCES);
        }
        (c.sid, c.sid == c.pid)
    };
    if leader {
        return Err(Errno::EPERM);
    }
    if pgid != pid {
        let exists = (p.pgid == pgid && p.sid == sid)
            || t.live.values().any(|q| q.pgid == pgid && q.sid == sid);
        if !exists {
            return Err(Errno::EPERM);
        }
    }
    if pid == p.pid {
        p.pgid = pgid;
    } else if let Some(c) = t.live.get_mut(pid) {
        c.pgid = pgid;
    }
    Ok(0)
}

/// getpgid(pid) (0: the caller) and getsid(pid): ESRCH when there is no such live process.
pub fn getpgid_sid(p: &Process, pid: u64, sid: bool) -> SysResult {
    let pid = pid as i32;
    if pid < 0 {
        return Err(Errno::ESRCH);
    }
    let pick = |q: &Process| i64::from(if sid { q.sid } else { q.pgid });
    if pid == 0 || pid as u32 == p.pid {
        return Ok(pick(p));
    }
    let t = TABLE.lock();
    if let Some(q) = t.live.get(pid as u32) {
        return Ok(pick(q));
    }
    match t.zombies.get(&(pid as u32)) {
        Some(z) if !sid => Ok(i64::from(z.pgid)),
        _ => Err(Errno::ESRCH),
    }
}

/// setsid(): the caller, unless it leads a process group (EPERM), becomes the leader of a
/// new session and of a new process group, both numbered by its pid, with no controlling
/// terminal. Returns the session.
pub fn setsid(p: &mut Process) -> SysResult {
    let leads = p.pgid == p.pid || TABLE.lock().live.values().any(|q| q.pgid == p.pid);
    if leads {
        return Err(Errno::EPERM);
    }
    p.sid = p.pid;
    p.pgid = p.pid;
    Ok(i64::from(p.pid))
}

/// The session of process group `pgid` (`p`, running, counted), or None when the group
/// has no live member.
pub fn group_session(p: &Process, pgid: u32) -> Option<u32> {
    if p.pgid == pgid {
        return Some(p.sid);
    }
    TABLE
        .lock()
        .live
        .values()
        .find(|q| q.pgid == pgid)
        .map(|q| q.sid)
}

/// Whether process group `pgid` is orphaned (POSIX): no member has a parent in another
/// group of the same session. `p` is the running process (out of the table), counted as
/// a member or a parent as it is.
pub fn orphaned(p: &Process, pgid: u32) -> bool {
    let t = TABLE.lock();
    let lookup = |pid: u32| -> Option<(u32, u32)> {
        if pid == p.pid {
            Some((p.pgid, p.sid))
        } else {
            t.live.get(pid).map(|q| (q.pgid, q.sid))
        }
    };
    let members = t
        .live
        .values()
        .map(|q| (q.ppid, q.sid, q.pgid))
        .chain(core::iter::once((p.ppid, p.sid, p.pgid)))
        .filter(|&(_, _, g)| g == pgid);
    for (ppid, sid, _) in members {
        if let Some((pg, ps)) = lookup(ppid) {
            if pg != pgid && ps == sid {
                return false;
            }
        }
    }
    true
}
