module cmcc.example/backend

go 1.19
