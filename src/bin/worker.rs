fn main() {
    sendas_lens_web::worker::start();
}
