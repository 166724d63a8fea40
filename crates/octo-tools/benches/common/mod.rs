//! What the bench binaries share: running on a fresh PostgreSQL database, number arguments and
//! the median / p90 of timings.

use std::future::Future;
use std::time::Duration;

use octo_test_support::TestDatabase;

/// `1000000` or `1_000_000`: clap's `value_parser` for counts.
pub fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.replace('_', "")
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))
}

/// Runs `bench` with the URL of a fresh `octo_test_*` database on the test server
/// (`OCTO_TEST_POSTGRES_URL`), on two worker threads, and drops the database at the end: after
/// a panic (which then fails the bench) and after Ctrl-C too.
pub fn run_on_fresh_database<Fut>(bench: impl FnOnce(String) -> Fut)
where
    Fut: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let database = TestDatabase::create_postgres_on(&octo_test_support::admin_url()).await;
        println!("database: {} (dropped at the end)", database.name());
        let mut task = tokio::spawn(bench(database.url.clone()));
        let outcome = tokio::select! {
            outcome = &mut task => Some(outcome),
            _ = tokio::signal::ctrl_c() => {
                task.abort();
                None
            }
        };
        database.drop_now().await;
        match outcome {
            Some(Ok(())) => {}
            Some(Err(error)) => match error.try_into_panic() {
                // The panic message was printed already; fail with it.
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(error) => panic!("bench task failed: {error}"),
            },
            None => {
                eprintln!("interrupted; the bench database was dropped");
                std::process::exit(130);
            }
        }
    });
}

/// Median and p90 (nearest rank); the median of an even count is the mean of the middle two.
pub fn median_p90(times: &[Duration]) -> (Duration, Duration) {
    let mut sorted = times.to_vec();
    sorted.sort();
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    };
    let p90 = sorted[(n * 9).div_ceil(10).saturating_sub(1)];
    (median, p90)
}
