//! COM-5: the apartment an in-process object lives in, from the client thread's apartment, the
//! server's `ThreadingModel` and what the process's other threads made (its main STA, its MTA),
//! as the table of seed 001 gives it.

use std::fmt;

use serde::Serialize;

use crate::process::{Apartment, MainSta, Threads};

/// A server's `ThreadingModel` as COM reads it: compared case-insensitively; missing, empty or
/// unknown values are [`ThreadingModel::None`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadingModel {
    Apartment,
    Free,
    Both,
    Neutral,
    None,
}

impl ThreadingModel {
    /// The `ThreadingModel` value of a registration (or a context entry's, spelled the same way).
    pub fn from_registry(value: Option<&str>) -> ThreadingModel {
        match value.map(str::to_ascii_lowercase).as_deref() {
            Some("apartment") => ThreadingModel::Apartment,
            Some("free") => ThreadingModel::Free,
            Some("both") => ThreadingModel::Both,
            Some("neutral") => ThreadingModel::Neutral,
            _ => ThreadingModel::None,
        }
    }
}

/// Where an in-process object lives (COM-5): whose thread's apartment, and of which kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectApartment {
    /// The process's main STA (a server without a ThreadingModel): the caller's own when the
    /// caller is in it, else another thread's.
    MainSta,
    /// The main STA of another thread, reached from a client thread in another STA: the client
    /// holds a proxy.
    OtherMainSta,
    /// The client thread's own STA.
    ClientSta,
    /// An STA host thread COM creates for the object.
    HostSta,
    /// The process's MTA, which the client thread is in.
    ClientMta,
    /// An MTA COM makes for the object, reached from a client thread outside it: the process had
    /// none.
    HostMta,
    /// The process's MTA, which another thread made, reached from a client thread outside it.
    Mta,
    /// The neutral apartment the client thread is in.
    ClientNa,
    /// The neutral apartment, reached from a client thread outside it.
    Na,
}

impl ObjectApartment {
    /// The text output shows (`client STA`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ObjectApartment::MainSta => "main STA",
            ObjectApartment::OtherMainSta => "main STA (another thread)",
            ObjectApartment::ClientSta => "client STA",
            ObjectApartment::HostSta => "host STA",
            ObjectApartment::ClientMta => "client MTA",
            ObjectApartment::HostMta => "host MTA",
            ObjectApartment::Mta => "MTA",
            ObjectApartment::ClientNa => "client NA",
            ObjectApartment::Na => "NA",
        }
    }
}

impl fmt::Display for ObjectApartment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ObjectApartment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// COM-5: the apartment an in-process object lives in, from the client thread's apartment, the
/// server's ThreadingModel and the process's other threads, as the table of seed 001 says.
pub fn apartment_for(
    client: Apartment,
    threading_model: ThreadingModel,
    threads: Threads,
) -> ObjectApartment {
    use ObjectApartment as O;
    let in_sta = matches!(client, Apartment::Sta | Apartment::NaOnSta);
    match threading_model {
        ThreadingModel::Apartment => match client {
            Apartment::Sta | Apartment::NaOnSta => O::ClientSta,
            Apartment::Mta | Apartment::NaOnMta => O::HostSta,
        },
        // A neutral thread entered from the MTA belongs to it: the MTA exists, so no host MTA
        // is made (the mirror of an Apartment server on a neutral thread of an STA). From an
        // STA, COM makes a host MTA only when no thread has made the MTA.
        ThreadingModel::Free => match client {
            Apartment::Mta | Apartment::NaOnMta => O::ClientMta,
            Apartment::Sta | Apartment::NaOnSta if threads.mta_exists => O::Mta,
            Apartment::Sta | Apartment::NaOnSta => O::HostMta,
        },
        ThreadingModel::Both => match client {
            Apartment::Sta => O::ClientSta,
            Apartment::Mta => O::ClientMta,
            Apartment::NaOnSta | Apartment::NaOnMta => O::ClientNa,
        },
        ThreadingModel::Neutral => match client {
            Apartment::NaOnSta | Apartment::NaOnMta => O::ClientNa,
            _ => O::Na,
        },
        // The first STA of the process; when no thread has one, COM's host STA becomes it.
        ThreadingModel::None => match threads.main_sta {
            MainSta::OtherThread if in_sta => O::OtherMainSta,
            MainSta::None if !in_sta => O::HostSta,
            _ => O::MainSta,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(client: Apartment, tm: Option<&str>) -> &'static str {
        apartment_for(
            client,
            ThreadingModel::from_registry(tm),
            Threads::default(),
        )
        .as_str()
    }

    #[test]
    fn com5_apartment_table_of_seed_001() {
        use Apartment::*;
        assert_eq!(placed(Sta, None), "main STA");
        assert_eq!(placed(Mta, Some("Apartment")), "host STA");
        assert_eq!(placed(NaOnSta, Some("apartment")), "client STA");
        assert_eq!(placed(NaOnMta, Some("Apartment")), "host STA");
        assert_eq!(placed(Sta, Some("Free")), "host MTA");
        assert_eq!(placed(Mta, Some("Free")), "client MTA");
        assert_eq!(placed(Sta, Some("Both")), "client STA");
        assert_eq!(placed(Mta, Some("Both")), "client MTA");
        assert_eq!(placed(NaOnMta, Some("Both")), "client NA");
        assert_eq!(placed(Sta, Some("Neutral")), "NA");
        assert_eq!(placed(NaOnSta, Some("NEUTRAL")), "client NA");
        assert_eq!(placed(Sta, Some("bogus")), "main STA");
        assert_eq!(placed(Mta, Some("")), "main STA");
    }

    /// COM-5: a Free server created from a neutral thread of the MTA lives in that MTA, as an
    /// Apartment server created from a neutral thread of an STA lives in that STA; a host MTA
    /// stands only for a caller outside the MTA.
    #[test]
    fn com5_free_server_from_a_neutral_thread_of_the_mta_lives_in_that_mta() {
        use Apartment::*;
        assert_eq!(placed(NaOnMta, Some("Free")), "client MTA");
        assert_eq!(placed(NaOnSta, Some("Apartment")), "client STA");
        assert_eq!(placed(NaOnSta, Some("Free")), "host MTA");
    }

    fn placed_with(
        client: Apartment,
        tm: Option<&str>,
        main_sta: MainSta,
        mta: bool,
    ) -> &'static str {
        let threads = Threads {
            main_sta,
            mta_exists: mta,
        };
        apartment_for(client, ThreadingModel::from_registry(tm), threads).as_str()
    }

    /// COM-5: a server without a ThreadingModel lives in the process's main STA. Created from an
    /// STA that is not the main one, it lives on the thread that is (the client gets a proxy);
    /// from the MTA of a process without an STA, in the host STA COM makes, which becomes the
    /// main STA.
    #[test]
    fn com5_main_sta_of_another_thread_and_the_host_sta_that_becomes_main() {
        use Apartment::*;
        use MainSta::{Caller, OtherThread};
        assert_eq!(placed_with(Sta, None, Caller, false), "main STA");
        assert_eq!(
            placed_with(Sta, None, OtherThread, false),
            "main STA (another thread)"
        );
        assert_eq!(
            placed_with(NaOnSta, None, OtherThread, false),
            "main STA (another thread)"
        );
        assert_eq!(placed_with(Mta, None, OtherThread, false), "main STA");
        assert_eq!(placed_with(Mta, None, MainSta::None, false), "host STA");
        assert_eq!(placed_with(NaOnMta, None, MainSta::None, false), "host STA");
        // Only servers without a model care where the main STA is.
        assert_eq!(
            placed_with(Sta, Some("Apartment"), OtherThread, false),
            "client STA"
        );
        assert_eq!(
            placed_with(Mta, Some("Apartment"), MainSta::None, false),
            "host STA"
        );
    }

    /// COM-5: a Free server created from an STA goes to the process's MTA when another thread
    /// made it, and to a host MTA only when there is none (seed 001).
    #[test]
    fn com5_free_server_from_an_sta_joins_the_existing_mta() {
        use Apartment::*;
        assert_eq!(placed_with(Sta, Some("Free"), MainSta::Caller, true), "MTA");
        assert_eq!(
            placed_with(NaOnSta, Some("Free"), MainSta::Caller, true),
            "MTA"
        );
        assert_eq!(
            placed_with(Sta, Some("Free"), MainSta::Caller, false),
            "host MTA"
        );
        assert_eq!(
            placed_with(Mta, Some("Free"), MainSta::Caller, true),
            "client MTA"
        );
        // A Both server stays with its caller whatever the other threads did.
        assert_eq!(
            placed_with(Sta, Some("Both"), MainSta::OtherThread, true),
            "client STA"
        );
    }
}
