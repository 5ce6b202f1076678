use rvmmu_lab::{Event, Lab, Paging};

fn program(name: &str) -> &'static str {
    rvmmu_tests::linux_program(name).unwrap_or_else(|| panic!("no program {name} was built"))
}

#[test]
fn explore() {
    let t = std::time::Instant::now();
    let mut lab = Lab::builder()
        .mem(64 << 20)
        .paging(Paging::Sv39)
        .program_file(program("notes/malloc_1"))
        .unwrap()
        .max_insns(2_000_000_000)
        .build()
        .unwrap();
    let o = lab.run_until(Event::ConsoleRead(Some("malloc_1".into())));
    println!("{o:?} {:?}", t.elapsed());
    println!("{}", lab.hardware_view("malloc_1").unwrap());
    let kv = lab.kernel_view("malloc_1").unwrap();
    println!("{kv} {:?}", t.elapsed());
    println!("{:?}", lab.agree("malloc_1").unwrap());
    lab.type_input(b"\n");
    let o = lab.run_until(Event::ConsoleRead(Some("malloc_1".into())));
    println!("{o:?} {:?}", t.elapsed());
    println!("{}", lab.console_output());
    lab.end_input();
    println!("{:?}", lab.run_to_end());
}
