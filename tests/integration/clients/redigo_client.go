// The client scenario for Go's redigo (Debian golang-github-gomodule-redigo-dev):
// redigo_client <port> <password> <db>. Built by test_client_libs.py with Debian's Go from
// Debian's GOPATH (/usr/share/gocode), no network.
package main

import (
	"bufio"
	"fmt"
	"os"
	"reflect"

	"github.com/gomodule/redigo/redis"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func check(got interface{}, err error, want interface{}) {
	if err != nil {
		fail("error: %v (want %v)", err, want)
	}
	if !reflect.DeepEqual(got, want) {
		fail("got %#v, want %#v", got, want)
	}
}

func dial(port, password, db string) redis.Conn {
	opts := []redis.DialOption{redis.DialDatabase(int(db[0] - '0'))}
	if password != "" {
		opts = append(opts, redis.DialPassword(password))
	}
	c, err := redis.Dial("tcp", "localhost:"+port, opts...)
	if err != nil {
		fail("dial: %v", err)
	}
	return c
}

func main() {
	port, password, db := os.Args[1], os.Args[2], os.Args[3]
	c := dial(port, password, db)
	n, err := redis.Int(c.Do("INCR", "c"))
	check(n, err, 1)
	n, err = redis.Int(c.Do("INCRBY", "c", 10))
	check(n, err, 11)
	n, err = redis.Int(c.Do("DECR", "c"))
	check(n, err, 10)
	s, err := redis.String(c.Do("SET", "s", "v", "EX", 100))
	check(s, err, "OK")
	s, err = redis.String(c.Do("GET", "s"))
	check(s, err, "v")
	s, err = redis.String(c.Do("MSET", "a", "1", "b", "2"))
	check(s, err, "OK")
	vals, err := redis.Values(c.Do("MGET", "a", "b", "nokey"))
	check(vals, err, []interface{}{[]byte("1"), []byte("2"), nil})
	n, err = redis.Int(c.Do("DEL", "a"))
	check(n, err, 1)
	c.Send("MULTI")
	c.Send("INCR", "t")
	c.Send("INCR", "t")
	ints, err := redis.Ints(c.Do("EXEC"))
	check(ints, err, []int{1, 2})
	for i := 0; i < 1000; i++ {
		c.Send("INCR", "p")
	}
	c.Flush()
	for i := 1; i <= 1000; i++ {
		n, err = redis.Int(c.Receive())
		check(n, err, i)
	}
	fmt.Println("PHASE1 OK")
	bufio.NewReader(os.Stdin).ReadString('\n')
	c.Close() // redigo connections do not reconnect: a new one, as a pool would make
	c = dial(port, password, db)
	s, err = redis.String(c.Do("GET", "c"))
	check(s, err, "10")
	s, err = redis.String(c.Do("GET", "p"))
	check(s, err, "1000")
	s, err = redis.String(c.Do("GET", "t"))
	check(s, err, "2")
	n, err = redis.Int(c.Do("INCR", "c"))
	check(n, err, 11)
	fmt.Println("PHASE2 OK")
	c.Close()
}
