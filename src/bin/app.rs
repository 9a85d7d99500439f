fn main() {
    sendas_lens_web::start_app();
}
