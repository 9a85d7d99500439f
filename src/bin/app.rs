#[path = "../offline.rs"]
mod offline;

fn main() {
    sendas_lens_web::start_app();
    offline::register_service_worker();
}
