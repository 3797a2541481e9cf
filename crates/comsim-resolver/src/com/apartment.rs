//! COM-5: the apartment an in-process object lives in, from the client thread's apartment and
//! the server's `ThreadingModel`, as the table of seed 001 gives it.

use std::fmt;

use serde::Serialize;

use crate::process::Apartment;

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
    /// The process's main STA (a server without a ThreadingModel).
    MainSta,
    /// The client thread's own STA.
    ClientSta,
    /// An STA host thread COM creates for the object.
    HostSta,
    /// The process's MTA, which the client thread is in.
    ClientMta,
    /// The process's MTA, reached from a client thread outside it.
    HostMta,
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
            ObjectApartment::ClientSta => "client STA",
            ObjectApartment::HostSta => "host STA",
            ObjectApartment::ClientMta => "client MTA",
            ObjectApartment::HostMta => "host MTA",
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

/// COM-5 as a trace step: the apartment an in-process object with the registry's
/// `threading_model` lives in, for a client in `client`; the step is returned for `.at(…)`.
pub(crate) fn apartment_step<'t>(
    trace: &'t mut crate::trace::Trace,
    client: Apartment,
    threading_model: Option<&str>,
) -> (ObjectApartment, &'t mut crate::trace::TraceStep) {
    let apt = apartment_for(client, ThreadingModel::from_registry(threading_model));
    let step = trace
        .push(
            comsim_rules::Rule::Com5,
            format!(
                "client in {client}, ThreadingModel {}: the object lives in the {apt}",
                threading_model.unwrap_or("(none)")
            ),
        )
        .code("apartment");
    (apt, step)
}

/// COM-5: the apartment an in-process object lives in, from the client thread's apartment and
/// the server's ThreadingModel, as the table of seed 001 says.
pub fn apartment_for(client: Apartment, threading_model: ThreadingModel) -> ObjectApartment {
    use ObjectApartment as O;
    match threading_model {
        ThreadingModel::Apartment => match client {
            Apartment::Sta | Apartment::NaOnSta => O::ClientSta,
            Apartment::Mta | Apartment::NaOnMta => O::HostSta,
        },
        // A neutral thread entered from the MTA belongs to it: the MTA exists, so no host MTA
        // is made (the mirror of an Apartment server on a neutral thread of an STA).
        ThreadingModel::Free => match client {
            Apartment::Mta | Apartment::NaOnMta => O::ClientMta,
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
        ThreadingModel::None => O::MainSta,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(client: Apartment, tm: Option<&str>) -> &'static str {
        apartment_for(client, ThreadingModel::from_registry(tm)).as_str()
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
}
