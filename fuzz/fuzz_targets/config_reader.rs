//! Any config file text: loading it must never panic; a config that loads must also drive
//! the standalone generator (`eastwest generate`) without panicking, to a fixed point.
#![no_main]

use eastwest::{ConfigFile, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(mesh) = eastwest::config::from_text(&text, "fuzz", None) else { return };

    // A valid config: the cluster override path, then the standalone set it generates.
    let other = mesh.spec.clusters.last().map(|c| c.name.clone());
    let _ = eastwest::config::from_text(&text, "fuzz", other.as_deref());
    let options = Options {
        config: Some(ConfigFile { origin: "fuzz".into(), text: text.clone().into_owned() }),
        cluster: None,
        standalone: true,
    };
    let Ok(first) = eastwest::run("", &options) else { return };
    match eastwest::run(&first, &options) {
        Ok(second) => assert!(
            second == first,
            "standalone set not idempotent\n--- config ---\n{text}\n--- first ---\n{first}\n--- second ---\n{second}"
        ),
        Err(failure) => panic!(
            "the standalone set is refused when read back: {}\n--- config ---\n{text}\n--- first ---\n{first}",
            failure.error
        ),
    }
});
