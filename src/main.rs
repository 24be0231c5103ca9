fn main() {
    println!("imaginize");
}
