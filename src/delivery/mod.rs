//! What to send and when (PURE): due notifications bundled into messages
//! and throttled (`plan`), provider failures classified and retried
//! (`retry`), what an SMS reply asks for (`reply`), and the signatures of links and of providers' callbacks
//! (`links`). The dispatcher (IO) and the providers (`notify`, IO) both
//! build on these; neither depends on the other through them.

pub mod handoff;
pub mod links;
pub mod plan;
pub mod reply;
pub mod retry;
