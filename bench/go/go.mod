module ebbbench

go 1.19
