package io.mppnode.server.tpch;

import static io.mppnode.exec.tpch.TpchTable.CUSTOMER;
import static io.mppnode.exec.tpch.TpchTable.LINEITEM;
import static io.mppnode.exec.tpch.TpchTable.NATION;
import static io.mppnode.exec.tpch.TpchTable.ORDERS;
import static io.mppnode.exec.tpch.TpchTable.PART;
import static io.mppnode.exec.tpch.TpchTable.PARTSUPP;
import static io.mppnode.exec.tpch.TpchTable.REGION;
import static io.mppnode.exec.tpch.TpchTable.SUPPLIER;
import static io.mppnode.proto.plan.BuildSide.BUILD_LEFT;
import static io.mppnode.proto.plan.BuildSide.BUILD_RIGHT;
import static io.mppnode.server.tpch.Agg.avg;
import static io.mppnode.server.tpch.Agg.count;
import static io.mppnode.server.tpch.Agg.countDistinct;
import static io.mppnode.server.tpch.Agg.max;
import static io.mppnode.server.tpch.Agg.min;
import static io.mppnode.server.tpch.Agg.sum;
import static io.mppnode.server.tpch.Exprs.and;
import static io.mppnode.server.tpch.Exprs.as;
import static io.mppnode.server.tpch.Exprs.asc;
import static io.mppnode.server.tpch.Exprs.between;
import static io.mppnode.server.tpch.Exprs.caseWhen;
import static io.mppnode.server.tpch.Exprs.col;
import static io.mppnode.server.tpch.Exprs.date;
import static io.mppnode.server.tpch.Exprs.decimal;
import static io.mppnode.server.tpch.Exprs.desc;
import static io.mppnode.server.tpch.Exprs.div;
import static io.mppnode.server.tpch.Exprs.eq;
import static io.mppnode.server.tpch.Exprs.ge;
import static io.mppnode.server.tpch.Exprs.group;
import static io.mppnode.server.tpch.Exprs.gt;
import static io.mppnode.server.tpch.Exprs.in;
import static io.mppnode.server.tpch.Exprs.int32;
import static io.mppnode.server.tpch.Exprs.le;
import static io.mppnode.server.tpch.Exprs.like;
import static io.mppnode.server.tpch.Exprs.lt;
import static io.mppnode.server.tpch.Exprs.minus;
import static io.mppnode.server.tpch.Exprs.minusDays;
import static io.mppnode.server.tpch.Exprs.mul;
import static io.mppnode.server.tpch.Exprs.ne;
import static io.mppnode.server.tpch.Exprs.noGroup;
import static io.mppnode.server.tpch.Exprs.notLike;
import static io.mppnode.server.tpch.Exprs.or;
import static io.mppnode.server.tpch.Exprs.plus;
import static io.mppnode.server.tpch.Exprs.plusMonths;
import static io.mppnode.server.tpch.Exprs.plusYears;
import static io.mppnode.server.tpch.Exprs.substring;
import static io.mppnode.server.tpch.Exprs.year;
import static io.mppnode.server.tpch.JoinOn.on;

import io.mppnode.proto.plan.Expr;
import io.mppnode.proto.plan.NamedExpr;
import io.mppnode.proto.plan.Plan;
import io.mppnode.server.tpch.PlanBuilder.Node;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The 22 TPC-H queries as distributed plans, with the standard validation parameters (those of
 * {@code io/trino/tpch/queries/qN.sql}). The DuckDB SQL of each is the resource
 * {@code qNN.sql} next to this class ({@link #sql}).
 *
 * <p>How the plans distribute, as an MPP planner would: aggregations run PARTIAL next to the
 * scan, HASH-exchange on their group keys and run FINAL (or COMPLETE where the input is already
 * partitioned on a group key, or for count distinct); joins of two big tables (lineitem, orders,
 * partsupp, part, customer) HASH-exchange both sides on the join keys; small sides (nation,
 * region, filtered dimension tables, aggregated scalars) are BROADCAST into the fragment that
 * scans the big side; the final Sort or TopN runs on one node behind a PASS_THROUGH exchange
 * (after a TopN on every node). A fragment holds at most one table's scan and never receives a
 * HASH exchange when it scans. A plan is a tree: where a query needs one result twice (the
 * subqueries of Q2, Q11, Q15, Q17, Q20, Q22) the plan computes it twice.
 *
 * <p>Each method's comment gives the SQL's shape; read it bottom-up next to the code.
 */
public final class TpchQueries {
    public static final int COUNT = 22;

    private TpchQueries() {}

    /** The plan of query {@code query} (1..22). */
    public static Plan plan(int query) {
        return switch (query) {
            case 1 -> q01();
            case 2 -> q02();
            case 3 -> q03();
            case 4 -> q04();
            case 5 -> q05();
            case 6 -> q06();
            case 7 -> q07();
            case 8 -> q08();
            case 9 -> q09();
            case 10 -> q10();
            case 11 -> q11();
            case 12 -> q12();
            case 13 -> q13();
            case 14 -> q14();
            case 15 -> q15();
            case 16 -> q16();
            case 17 -> q17();
            case 18 -> q18();
            case 19 -> q19();
            case 20 -> q20();
            case 21 -> q21();
            case 22 -> q22();
            default -> throw new IllegalArgumentException("TPC-H has queries 1..22, not " + query);
        };
    }

    /** The DuckDB SQL of query {@code query} (1..22): the resource {@code qNN.sql}. */
    public static String sql(int query) {
        String name = String.format("q%02d.sql", query);
        try (InputStream in = TpchQueries.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException("no SQL resource " + name + " for query " + query);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code l_extendedprice * (1 - l_discount)}. */
    private static Expr discountedPrice() {
        return mul(col("l_extendedprice"), minus(int32(1), col("l_discount")));
    }

    /**
     * Q1, pricing summary report.
     * <pre>
     * SELECT l_returnflag, l_linestatus, sum(l_quantity), sum(l_extendedprice), sum(price * (1 - disc)),
     *        sum(price * (1 - disc) * (1 + tax)), avg(l_quantity), avg(l_extendedprice), avg(l_discount), count(*)
     * FROM lineitem WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL '90' DAY
     * GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus
     * </pre>
     * Partial aggregation at the scan, HASH on the group keys, final aggregation, sort on one node.
     */
    private static Plan q01() {
        PlanBuilder p = new PlanBuilder();
        List<NamedExpr> keys = group("l_returnflag", "l_linestatus");
        Agg[] aggs = {
                sum("sum_qty", col("l_quantity")),
                sum("sum_base_price", col("l_extendedprice")),
                sum("sum_disc_price", discountedPrice()),
                sum("sum_charge", mul(discountedPrice(), plus(int32(1), col("l_tax")))),
                avg("avg_qty", col("l_quantity")),
                avg("avg_price", col("l_extendedprice")),
                avg("avg_disc", col("l_discount")),
                count("count_order")};
        Node result = p.scan(LINEITEM, "l_returnflag", "l_linestatus", "l_quantity", "l_extendedprice", "l_discount",
                        "l_tax", "l_shipdate")
                .filter(le(col("l_shipdate"), date(minusDays("1998-12-01", 90))))
                .partialAgg(keys, aggs)
                .shuffle("l_returnflag", "l_linestatus")
                .finalAgg(keys, aggs)
                .gather()
                .sort(asc("l_returnflag"), asc("l_linestatus"));
        return p.plan(result);
    }

    /** Nations of one region: region (filtered, BROADCAST) joined into the nation scan; n_nationkey, n_name. */
    private static Node nationsOfRegion(PlanBuilder p, String region) {
        Node regions = p.scan(REGION, "r_regionkey", "r_name")
                .filter(eq(col("r_name"), Exprs.str(region)))
                .project("r_regionkey")
                .broadcast();
        return p.scan(NATION, "n_nationkey", "n_name", "n_regionkey")
                .innerJoin(regions, BUILD_RIGHT, on("n_regionkey", "r_regionkey"))
                .project("n_nationkey", "n_name");
    }

    /**
     * Q2, minimum cost supplier.
     * <pre>
     * SELECT s_acctbal, s_name, n_name, p_partkey, p_mfgr, s_address, s_phone, s_comment
     * FROM part, supplier, partsupp, nation, region
     * WHERE p_partkey = ps_partkey AND s_suppkey = ps_suppkey AND p_size = 15 AND p_type LIKE '%BRASS'
     *   AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey AND r_name = 'EUROPE'
     *   AND ps_supplycost = (SELECT min(ps_supplycost) FROM partsupp, supplier, nation, region
     *                        WHERE p_partkey = ps_partkey AND ... AND r_name = 'EUROPE')
     * ORDER BY s_acctbal DESC, n_name, s_name, p_partkey LIMIT 100
     * </pre>
     * European suppliers (region and nation BROADCAST into the supplier scan) are BROADCAST into
     * the partsupp scan. The candidates (partsupp of European suppliers, HASH on the part key)
     * join the filtered parts (HASH on the part key) and, on (part key, supply cost), the
     * decorrelated subquery: the minimum supply cost per part over a second partsupp scan
     * (partial min, HASH on the part key, final min). TopN on every node, then on one.
     */
    private static Plan q02() {
        PlanBuilder p = new PlanBuilder();
        Node europeanSuppliers = p.scan(SUPPLIER, "s_suppkey", "s_name", "s_address", "s_nationkey", "s_phone",
                        "s_acctbal", "s_comment")
                .innerJoin(nationsOfRegion(p, "EUROPE").broadcast(), BUILD_RIGHT, on("s_nationkey", "n_nationkey"))
                .project("s_suppkey", "s_name", "s_address", "s_phone", "s_acctbal", "s_comment", "n_name")
                .broadcast();
        Node candidates = p.scan(PARTSUPP, "ps_partkey", "ps_suppkey", "ps_supplycost")
                .innerJoin(europeanSuppliers, BUILD_RIGHT, on("ps_suppkey", "s_suppkey"))
                .shuffle("ps_partkey");
        Node parts = p.scan(PART, "p_partkey", "p_mfgr", "p_type", "p_size")
                .filter(eq(col("p_size"), int32(15)), like(col("p_type"), "%BRASS"))
                .project("p_partkey", "p_mfgr")
                .shuffle("p_partkey");
        Node europeanSupplierKeys = p.scan(SUPPLIER, "s_suppkey", "s_nationkey")
                .innerJoin(nationsOfRegion(p, "EUROPE").broadcast(), BUILD_RIGHT, on("s_nationkey", "n_nationkey"))
                .project("s_suppkey")
                .broadcast();
        List<NamedExpr> partKey = group(as("min_partkey", col("ps_partkey")));
        Agg minCost = min("min_supplycost", col("ps_supplycost"));
        Node minCostPerPart = p.scan(PARTSUPP, "ps_partkey", "ps_suppkey", "ps_supplycost")
                .semiJoin(europeanSupplierKeys, BUILD_RIGHT, on("ps_suppkey", "s_suppkey"))
                .partialAgg(partKey, minCost)
                .shuffle("min_partkey")
                .finalAgg(partKey, minCost);
        Node result = candidates
                .innerJoin(parts, BUILD_RIGHT, on("ps_partkey", "p_partkey"))
                .innerJoin(minCostPerPart, BUILD_RIGHT, on("ps_partkey", "min_partkey").and("ps_supplycost", "min_supplycost"))
                .project("s_acctbal", "s_name", "n_name", "p_partkey", "p_mfgr", "s_address", "s_phone", "s_comment")
                .topN(100, desc("s_acctbal"), asc("n_name"), asc("s_name"), asc("p_partkey"))
                .gather()
                .topN(100, desc("s_acctbal"), asc("n_name"), asc("s_name"), asc("p_partkey"));
        return p.plan(result);
    }

    /**
     * Q3, shipping priority.
     * <pre>
     * SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority
     * FROM customer, orders, lineitem
     * WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey
     *   AND o_orderdate < DATE '1995-03-15' AND l_shipdate > DATE '1995-03-15'
     * GROUP BY l_orderkey, o_orderdate, o_shippriority ORDER BY revenue DESC, o_orderdate LIMIT 10
     * </pre>
     * customer and orders HASH on the customer key; their join HASH on the order key with
     * lineitem; the aggregation is COMPLETE there (its input is partitioned on l_orderkey, a group
     * key). TopN on every node, then on one.
     */
    private static Plan q03() {
        PlanBuilder p = new PlanBuilder();
        Node customers = p.scan(CUSTOMER, "c_custkey", "c_mktsegment")
                .filter(eq(col("c_mktsegment"), Exprs.str("BUILDING")))
                .project("c_custkey")
                .shuffle("c_custkey");
        Node orders = p.scan(ORDERS, "o_orderkey", "o_custkey", "o_orderdate", "o_shippriority")
                .filter(lt(col("o_orderdate"), date("1995-03-15")))
                .shuffle("o_custkey")
                .innerJoin(customers, BUILD_RIGHT, on("o_custkey", "c_custkey"))
                .project("o_orderkey", "o_orderdate", "o_shippriority")
                .shuffle("o_orderkey");
        Node result = p.scan(LINEITEM, "l_orderkey", "l_extendedprice", "l_discount", "l_shipdate")
                .filter(gt(col("l_shipdate"), date("1995-03-15")))
                .shuffle("l_orderkey")
                .innerJoin(orders, BUILD_RIGHT, on("l_orderkey", "o_orderkey"))
                .agg(group("l_orderkey", "o_orderdate", "o_shippriority"), sum("revenue", discountedPrice()))
                .project("l_orderkey", "revenue", "o_orderdate", "o_shippriority")
                .topN(10, desc("revenue"), asc("o_orderdate"))
                .gather()
                .topN(10, desc("revenue"), asc("o_orderdate"));
        return p.plan(result);
    }

    /**
     * Q4, order priority checking.
     * <pre>
     * SELECT o_orderpriority, count(*) AS order_count FROM orders
     * WHERE o_orderdate >= DATE '1993-07-01' AND o_orderdate < DATE '1993-07-01' + INTERVAL '3' MONTH
     *   AND EXISTS (SELECT * FROM lineitem WHERE l_orderkey = o_orderkey AND l_commitdate < l_receiptdate)
     * GROUP BY o_orderpriority ORDER BY o_orderpriority
     * </pre>
     * EXISTS is a semi join of orders and lineitem, both HASH on the order key; the (smaller)
     * orders side builds.
     */
    private static Plan q04() {
        PlanBuilder p = new PlanBuilder();
        Node lateLines = p.scan(LINEITEM, "l_orderkey", "l_commitdate", "l_receiptdate")
                .filter(lt(col("l_commitdate"), col("l_receiptdate")))
                .project("l_orderkey")
                .shuffle("l_orderkey");
        List<NamedExpr> keys = group("o_orderpriority");
        Agg orderCount = count("order_count");
        Node result = p.scan(ORDERS, "o_orderkey", "o_orderdate", "o_orderpriority")
                .filter(ge(col("o_orderdate"), date("1993-07-01")), lt(col("o_orderdate"), date(plusMonths("1993-07-01", 3))))
                .project("o_orderkey", "o_orderpriority")
                .shuffle("o_orderkey")
                .semiJoin(lateLines, BUILD_LEFT, on("o_orderkey", "l_orderkey"))
                .partialAgg(keys, orderCount)
                .shuffle("o_orderpriority")
                .finalAgg(keys, orderCount)
                .gather()
                .sort(asc("o_orderpriority"));
        return p.plan(result);
    }

    /**
     * Q5, local supplier volume.
     * <pre>
     * SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue
     * FROM customer, orders, lineitem, supplier, nation, region
     * WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey
     *   AND c_nationkey = s_nationkey AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey
     *   AND r_name = 'ASIA' AND o_orderdate >= DATE '1994-01-01' AND o_orderdate < DATE '1994-01-01' + INTERVAL '1' YEAR
     * GROUP BY n_name ORDER BY revenue DESC
     * </pre>
     * Asian suppliers (region, nation BROADCAST) are BROADCAST into the lineitem scan; that joins
     * orders on the order key (both HASH), then customer on the customer key and nation (both
     * HASH on the customer key).
     */
    private static Plan q05() {
        PlanBuilder p = new PlanBuilder();
        Node asianSuppliers = p.scan(SUPPLIER, "s_suppkey", "s_nationkey")
                .innerJoin(nationsOfRegion(p, "ASIA").broadcast(), BUILD_RIGHT, on("s_nationkey", "n_nationkey"))
                .project("s_suppkey", "s_nationkey", "n_name")
                .broadcast();
        Node orders = p.scan(ORDERS, "o_orderkey", "o_custkey", "o_orderdate")
                .filter(ge(col("o_orderdate"), date("1994-01-01")), lt(col("o_orderdate"), date(plusYears("1994-01-01", 1))))
                .project("o_orderkey", "o_custkey")
                .shuffle("o_orderkey");
        Node customers = p.scan(CUSTOMER, "c_custkey", "c_nationkey").shuffle("c_custkey");
        List<NamedExpr> keys = group("n_name");
        Agg revenue = sum("revenue", col("volume"));
        Node result = p.scan(LINEITEM, "l_orderkey", "l_suppkey", "l_extendedprice", "l_discount")
                .innerJoin(asianSuppliers, BUILD_RIGHT, on("l_suppkey", "s_suppkey"))
                .project("l_orderkey", "s_nationkey", "n_name", as("volume", discountedPrice()))
                .shuffle("l_orderkey")
                .innerJoin(orders, BUILD_RIGHT, on("l_orderkey", "o_orderkey"))
                .project("o_custkey", "s_nationkey", "n_name", "volume")
                .shuffle("o_custkey")
                .innerJoin(customers, BUILD_RIGHT, on("o_custkey", "c_custkey").and("s_nationkey", "c_nationkey"))
                .partialAgg(keys, revenue)
                .shuffle("n_name")
                .finalAgg(keys, revenue)
                .gather()
                .sort(desc("revenue"));
        return p.plan(result);
    }

    /**
     * Q6, forecasting revenue change.
     * <pre>
     * SELECT sum(l_extendedprice * l_discount) AS revenue FROM lineitem
     * WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1994-01-01' + INTERVAL '1' YEAR
     *   AND l_discount BETWEEN 0.06 - 0.01 AND 0.06 + 0.01 AND l_quantity < 24
     * </pre>
     * Partial sum at the scan, final sum on one node.
     */
    private static Plan q06() {
        PlanBuilder p = new PlanBuilder();
        Agg revenue = sum("revenue", mul(col("l_extendedprice"), col("l_discount")));
        Node result = p.scan(LINEITEM, "l_quantity", "l_extendedprice", "l_discount", "l_shipdate")
                .filter(ge(col("l_shipdate"), date("1994-01-01")),
                        lt(col("l_shipdate"), date(plusYears("1994-01-01", 1))),
                        between(col("l_discount"), decimal("0.05"), decimal("0.07")),
                        lt(col("l_quantity"), int32(24)))
                .partialAgg(noGroup(), revenue)
                .gather()
                .finalAgg(noGroup(), revenue);
        return p.plan(result);
    }

    /**
     * Q7, volume shipping.
     * <pre>
     * SELECT supp_nation, cust_nation, l_year, sum(volume) AS revenue FROM (
     *   SELECT n1.n_name AS supp_nation, n2.n_name AS cust_nation, extract(YEAR FROM l_shipdate) AS l_year,
     *          l_extendedprice * (1 - l_discount) AS volume
     *   FROM supplier, lineitem, orders, customer, nation n1, nation n2
     *   WHERE s_suppkey = l_suppkey AND o_orderkey = l_orderkey AND c_custkey = o_custkey
     *     AND s_nationkey = n1.n_nationkey AND c_nationkey = n2.n_nationkey
     *     AND ((n1.n_name = 'FRANCE' AND n2.n_name = 'GERMANY') OR (n1.n_name = 'GERMANY' AND n2.n_name = 'FRANCE'))
     *     AND l_shipdate BETWEEN DATE '1995-01-01' AND DATE '1996-12-31') AS shipping
     * GROUP BY supp_nation, cust_nation, l_year ORDER BY supp_nation, cust_nation, l_year
     * </pre>
     * French and German suppliers (nation n1 BROADCAST into the supplier scan) are BROADCAST into
     * the lineitem scan; that joins orders (both HASH on the order key), then customers of France
     * and Germany (nation n2 BROADCAST into the customer scan; both HASH on the customer key),
     * where the nation pair condition is the join's other condition.
     */
    private static Plan q07() {
        PlanBuilder p = new PlanBuilder();
        Node supplierNations = p.scan(NATION, "n_nationkey", "n_name")
                .filter(in(col("n_name"), "FRANCE", "GERMANY"))
                .project(as("n1_nationkey", col("n_nationkey")), as("supp_nation", col("n_name")))
                .broadcast();
        Node suppliers = p.scan(SUPPLIER, "s_suppkey", "s_nationkey")
                .innerJoin(supplierNations, BUILD_RIGHT, on("s_nationkey", "n1_nationkey"))
                .project("s_suppkey", "supp_nation")
                .broadcast();
        Node lines = p.scan(LINEITEM, "l_orderkey", "l_suppkey", "l_extendedprice", "l_discount", "l_shipdate")
                .filter(between(col("l_shipdate"), date("1995-01-01"), date("1996-12-31")))
                .innerJoin(suppliers, BUILD_RIGHT, on("l_suppkey", "s_suppkey"))
                .project("l_orderkey", "supp_nation", as("l_year", year(col("l_shipdate"))), as("volume", discountedPrice()))
                .shuffle("l_orderkey");
        Node customerNations = p.scan(NATION, "n_nationkey", "n_name")
                .filter(in(col("n_name"), "FRANCE", "GERMANY"))
                .project(as("n2_nationkey", col("n_nationkey")), as("cust_nation", col("n_name")))
                .broadcast();
        Node customers = p.scan(CUSTOMER, "c_custkey", "c_nationkey")
                .innerJoin(customerNations, BUILD_RIGHT, on("c_nationkey", "n2_nationkey"))
                .project("c_custkey", "cust_nation")
                .shuffle("c_custkey");
        List<NamedExpr> keys = group("supp_nation", "cust_nation", "l_year");
        Agg revenue = sum("revenue", col("volume"));
        Node result = p.scan(ORDERS, "o_orderkey", "o_custkey")
                .shuffle("o_orderkey")
                .innerJoin(lines, BUILD_RIGHT, on("o_orderkey", "l_orderkey"))
                .project("o_custkey", "supp_nation", "l_year", "volume")
                .shuffle("o_custkey")
                .innerJoin(customers, BUILD_RIGHT, on("o_custkey", "c_custkey").where(or(
                        and(eq(col("supp_nation"), Exprs.str("FRANCE")), eq(col("cust_nation"), Exprs.str("GERMANY"))),
                        and(eq(col("supp_nation"), Exprs.str("GERMANY")), eq(col("cust_nation"), Exprs.str("FRANCE"))))))
                .partialAgg(keys, revenue)
                .shuffle("supp_nation", "cust_nation", "l_year")
                .finalAgg(keys, revenue)
                .gather()
                .sort(asc("supp_nation"), asc("cust_nation"), asc("l_year"));
        return p.plan(result);
    }

    /**
     * Q8, national market share.
     * <pre>
     * SELECT o_year, sum(CASE WHEN nation = 'BRAZIL' THEN volume ELSE 0 END) / sum(volume) AS mkt_share FROM (
     *   SELECT extract(YEAR FROM o_orderdate) AS o_year, l_extendedprice * (1 - l_discount) AS volume, n2.n_name AS nation
     *   FROM part, supplier, lineitem, orders, customer, nation n1, nation n2, region
     *   WHERE p_partkey = l_partkey AND s_suppkey = l_suppkey AND l_orderkey = o_orderkey AND o_custkey = c_custkey
     *     AND c_nationkey = n1.n_nationkey AND n1.n_regionkey = r_regionkey AND r_name = 'AMERICA'
     *     AND s_nationkey = n2.n_nationkey AND o_orderdate BETWEEN DATE '1995-01-01' AND DATE '1996-12-31'
     *     AND p_type = 'ECONOMY ANODIZED STEEL') AS all_nations
     * GROUP BY o_year ORDER BY o_year
     * </pre>
     * The filtered parts and the suppliers with their nation (n2 BROADCAST into the supplier scan)
     * are BROADCAST into the lineitem scan. American customers (region, n1 BROADCAST into the
     * customer scan) join orders (both HASH on the customer key); that joins the lines (both HASH
     * on the order key). The division follows the final aggregation.
     */
    private static Plan q08() {
        PlanBuilder p = new PlanBuilder();
        Node americanCustomers = p.scan(CUSTOMER, "c_custkey", "c_nationkey")
                .innerJoin(nationsOfRegion(p, "AMERICA").broadcast(), BUILD_RIGHT, on("c_nationkey", "n_nationkey"))
                .project("c_custkey")
                .shuffle("c_custkey");
        Node orders = p.scan(ORDERS, "o_orderkey", "o_custkey", "o_orderdate")
                .filter(between(col("o_orderdate"), date("1995-01-01"), date("1996-12-31")))
                .shuffle("o_custkey")
                .innerJoin(americanCustomers, BUILD_RIGHT, on("o_custkey", "c_custkey"))
                .project("o_orderkey", as("o_year", year(col("o_orderdate"))))
                .shuffle("o_orderkey");
        Node parts = p.scan(PART, "p_partkey", "p_type")
                .filter(eq(col("p_type"), Exprs.str("ECONOMY ANODIZED STEEL")))
                .project("p_partkey")
                .broadcast();
        Node supplierNations = p.scan(NATION, "n_nationkey", "n_name")
                .project(as("n2_nationkey", col("n_nationkey")), as("nation", col("n_name")))
                .broadcast();
        Node suppliers = p.scan(SUPPLIER, "s_suppkey", "s_nationkey")
                .innerJoin(supplierNations, BUILD_RIGHT, on("s_nationkey", "n2_nationkey"))
                .project("s_suppkey", "nation")
                .broadcast();
        List<NamedExpr> keys = group("o_year");
        Agg[] aggs = {
                sum("brazil_volume", caseWhen(eq(col("nation"), Exprs.str("BRAZIL")), col("volume"), int32(0))),
                sum("total_volume", col("volume"))};
        Node result = p.scan(LINEITEM, "l_orderkey", "l_partkey", "l_suppkey", "l_extendedprice", "l_discount")
                .innerJoin(parts, BUILD_RIGHT, on("l_partkey", "p_partkey"))
                .innerJoin(suppliers, BUILD_RIGHT, on("l_suppkey", "s_suppkey"))
                .project("l_orderkey", "nation", as("volume", discountedPrice()))
                .shuffle("l_orderkey")
                .innerJoin(orders, BUILD_RIGHT, on("l_orderkey", "o_orderkey"))
                .partialAgg(keys, aggs)
                .shuffle("o_year")
                .finalAgg(keys, aggs)
                .project("o_year", as("mkt_share", div(col("brazil_volume"), col("total_volume"))))
                .gather()
                .sort(asc("o_year"));
        return p.plan(result);
    }

    /**
     * Q9, product type profit measure.
     * <pre>
     * SELECT nation, o_year, sum(amount) AS sum_profit FROM (
     *   SELECT n_name AS nation, extract(YEAR FROM o_orderdate) AS o_year,
     *          l_extendedprice * (1 - l_discount) - ps_supplycost * l_quantity AS amount
     *   FROM part, supplier, lineitem, partsupp, orders, nation
     *   WHERE s_suppkey = l_suppkey AND ps_suppkey = l_suppkey AND ps_partkey = l_partkey AND p_partkey = l_partkey
     *     AND o_orderkey = l_orderkey AND s_nationkey = n_nationkey AND p_name LIKE '%green%') AS profit
     * GROUP BY nation, o_year ORDER BY nation, o_year DESC
     * </pre>
     * lineitem, the green parts and partsupp all HASH on the part key and join there; suppliers
     * with their nation are BROADCAST into that fragment; the result HASH on the order key joins
     * orders.
     */
    private static Plan q09() {
        PlanBuilder p = new PlanBuilder();
        Node greenParts = p.scan(PART, "p_partkey", "p_name")
                .filter(like(col("p_name"), "%green%"))
                .project("p_partkey")
                .shuffle("p_partkey");
        Node partsupp = p.scan(PARTSUPP, "ps_partkey", "ps_suppkey", "ps_supplycost").shuffle("ps_partkey");
        Node suppliers = p.scan(SUPPLIER, "s_suppkey", "s_nationkey")
                .innerJoin(p.scan(NATION, "n_nationkey", "n_name").broadcast(), BUILD_RIGHT, on("s_nationkey", "n_nationkey"))
                .project("s_suppkey", "n_name")
                .broadcast();
        Node orders = p.scan(ORDERS, "o_orderkey", "o_orderdate")
                .project("o_orderkey", as("o_year", year(col("o_orderdate"))))
                .shuffle("o_orderkey");
        List<NamedExpr> keys = group("nation", "o_year");
        Agg profit = sum("sum_profit", col("amount"));
        Node result = p.scan(LINEITEM, "l_orderkey", "l_partkey", "l_suppkey", "l_quantity", "l_extendedprice", "l_discount")
                .shuffle("l_partkey")
                .innerJoin(greenParts, BUILD_RIGHT, on("l_partkey", "p_partkey"))
                .innerJoin(partsupp, BUILD_LEFT, on("l_partkey", "ps_partkey").and("l_suppkey", "ps_suppkey"))
                .innerJoin(suppliers, BUILD_RIGHT, on("l_suppkey", "s_suppkey"))
                .project("l_orderkey", as("nation", col("n_name")),
                        as("amount", minus(discountedPrice(), mul(col("ps_supplycost"), col("l_quantity")))))
                .shuffle("l_orderkey")
                .innerJoin(orders, BUILD_LEFT, on("l_orderkey", "o_orderkey"))
                .partialAgg(keys, profit)
                .shuffle("nation", "o_year")
                .finalAgg(keys, profit)
                .gather()
                .sort(asc("nation"), desc("o_year"));
        return p.plan(result);
    }

    /**
     * Q10, returned item reporting.
     * <pre>
     * SELECT c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) AS revenue, c_acctbal, n_name,
     *        c_address, c_phone, c_comment
     * FROM customer, orders, lineitem, nation
     * WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND o_orderdate >= DATE '1993-10-01'
     *   AND o_orderdate < DATE '1993-10-01' + INTERVAL '3' MONTH AND l_returnflag = 'R' AND c_nationkey = n_nationkey
     * GROUP BY c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment ORDER BY revenue DESC LIMIT 20
     * </pre>
     * Returned lines join the quarter's orders (both HASH on the order key); that joins customers
     * with their nation (nation BROADCAST into the customer scan; both HASH on the customer key),
     * where the aggregation is COMPLETE (partitioned on c_custkey). TopN on every node, then on one.
     */
    private static Plan q10() {
        PlanBuilder p = new PlanBuilder();
        Node orders = p.scan(ORDERS, "o_orderkey", "o_custkey", "o_orderdate")
                .filter(ge(col("o_orderdate"), date("1993-10-01")), lt(col("o_orderdate"), date(plusMonths("1993-10-01", 3))))
                .project("o_orderkey", "o_custkey")
                .shuffle("o_orderkey");
        Node customers = p.scan(CUSTOMER, "c_custkey", "c_name", "c_address", "c_nationkey", "c_phone", "c_acctbal", "c_comment")
                .innerJoin(p.scan(NATION, "n_nationkey", "n_name").broadcast(), BUILD_RIGHT, on("c_nationkey", "n_nationkey"))
                .project("c_custkey", "c_name", "c_acctbal", "c_phone", "n_name", "c_address", "c_comment")
                .shuffle("c_custkey");
        Node result = p.scan(LINEITEM, "l_orderkey", "l_extendedprice", "l_discount", "l_returnflag")
                .filter(eq(col("l_returnflag"), Exprs.str("R")))
                .project("l_orderkey", as("volume", discountedPrice()))
                .shuffle("l_orderkey")
                .innerJoin(orders, BUILD_RIGHT, on("l_orderkey", "o_orderkey"))
                .project("o_custkey", "volume")
                .shuffle("o_custkey")
                .innerJoin(customers, BUILD_RIGHT, on("o_custkey", "c_custkey"))
                .agg(group("c_custkey", "c_name", "c_acctbal", "c_phone", "n_name", "c_address", "c_comment"),
                        sum("revenue", col("volume")))
                .project("c_custkey", "c_name", "revenue", "c_acctbal", "n_name", "c_address", "c_phone", "c_comment")
                .topN(20, desc("revenue"))
                .gather()
                .topN(20, desc("revenue"));
        return p.plan(result);
    }

    /** partsupp of German suppliers (nation BROADCAST into the supplier scan, suppliers BROADCAST into the partsupp scan). */
    private static Node germanPartsupp(PlanBuilder p) {
        Node germany = p.scan(NATION, "n_nationkey", "n_name")
                .filter(eq(col("n_name"), Exprs.str("GERMANY")))
                .project("n_nationkey")
                .broadcast();
        Node suppliers = p.scan(SUPPLIER, "s_suppkey", "s_nationkey")
                .innerJoin(germany, BUILD_RIGHT, on("s_nationkey", "n_nationkey"))
                .project("s_suppkey")
                .broadcast();
        return p.scan(PARTSUPP, "ps_partkey", "ps_suppkey", "ps_availqty", "ps_supplycost")
                .semiJoin(suppliers, BUILD_RIGHT, on("ps_suppkey", "s_suppkey"));
    }

    /**
     * Q11, important stock identification.
     * <pre>
     * SELECT ps_partkey, sum(ps_supplycost * ps_availqty) AS value FROM partsupp, supplier, nation
     * WHERE ps_suppkey = s_suppkey AND s_nationkey = n_nationkey AND n_name = 'GERMANY'
     * GROUP BY ps_partkey
     * HAVING sum(ps_supplycost * ps_availqty) > (SELECT sum(ps_supplycost * ps_availqty) * 0.0001
     *                                           FROM partsupp, supplier, nation WHERE ... AND n_name = 'GERMANY')
     * ORDER BY value DESC
     * </pre>
     * The value per part: partial sum at the partsupp scan, HASH on the part key, final sum. The
     * threshold: a second partsupp scan, partial sum, final sum on one node, BROADCAST. The HAVING
     * is a join on a constant key with the comparison as other condition. Sort on one node.
     */
    private static Plan q11() {
        PlanBuilder p = new PlanBuilder();
        Expr stockValue = mul(col("ps_supplycost"), col("ps_availqty"));
        List<NamedExpr> keys = group("ps_partkey");
        Agg value = sum("value", stockValue);
        Agg total = sum("total_value", stockValue);
        Node threshold = germanPartsupp(p)
                .partialAgg(noGroup(), total)
                .gather()
                .finalAgg(noGroup(), total)
                .project(as("threshold", mul(col("total_value"), decimal("0.0001"))), as("threshold_key", int32(1)))
                .broadcast();
        Node result = germanPartsupp(p)
                .partialAgg(keys, value)
                .shuffle("ps_partkey")
                .finalAgg(keys, value)
                .project("ps_partkey", "value", as("value_key", int32(1)))
                .innerJoin(threshold, BUILD_RIGHT, on("value_key", "threshold_key").where(gt(col("value"), col("threshold"))))
                .project("ps_partkey", "value")
                .gather()
                .sort(desc("value"));
        return p.plan(result);
    }

    /**
     * Q12, shipping modes and order priority.
     * <pre>
     * SELECT l_shipmode,
     *        sum(CASE WHEN o_orderpriority = '1-URGENT' OR o_orderpriority = '2-HIGH' THEN 1 ELSE 0 END) AS high_line_count,
     *        sum(CASE WHEN o_orderpriority <> '1-URGENT' AND o_orderpriority <> '2-HIGH' THEN 1 ELSE 0 END) AS low_line_count
     * FROM orders, lineitem
     * WHERE o_orderkey = l_orderkey AND l_shipmode IN ('MAIL', 'SHIP') AND l_commitdate < l_receiptdate
     *   AND l_shipdate < l_commitdate AND l_receiptdate >= DATE '1994-01-01'
     *   AND l_receiptdate < DATE '1994-01-01' + INTERVAL '1' YEAR
     * GROUP BY l_shipmode ORDER BY l_shipmode
     * </pre>
     * orders and the filtered lines HASH on the order key (the lines build).
     */
    private static Plan q12() {
        PlanBuilder p = new PlanBuilder();
        Node lines = p.scan(LINEITEM, "l_orderkey", "l_shipdate", "l_commitdate", "l_receiptdate", "l_shipmode")
                .filter(in(col("l_shipmode"), "MAIL", "SHIP"),
                        lt(col("l_commitdate"), col("l_receiptdate")),
                        lt(col("l_shipdate"), col("l_commitdate")),
                        ge(col("l_receiptdate"), date("1994-01-01")),
                        lt(col("l_receiptdate"), date(plusYears("1994-01-01", 1))))
                .project("l_orderkey", "l_shipmode")
                .shuffle("l_orderkey");
        Expr urgent = eq(col("o_orderpriority"), Exprs.str("1-URGENT"));
        Expr high = eq(col("o_orderpriority"), Exprs.str("2-HIGH"));
        List<NamedExpr> keys = group("l_shipmode");
        Agg[] aggs = {
                sum("high_line_count", caseWhen(or(urgent, high), int32(1), int32(0))),
                sum("low_line_count", caseWhen(and(ne(col("o_orderpriority"), Exprs.str("1-URGENT")),
                        ne(col("o_orderpriority"), Exprs.str("2-HIGH"))), int32(1), int32(0)))};
        Node result = p.scan(ORDERS, "o_orderkey", "o_orderpriority")
                .shuffle("o_orderkey")
                .innerJoin(lines, BUILD_RIGHT, on("o_orderkey", "l_orderkey"))
                .partialAgg(keys, aggs)
                .shuffle("l_shipmode")
                .finalAgg(keys, aggs)
                .gather()
                .sort(asc("l_shipmode"));
        return p.plan(result);
    }

    /**
     * Q13, customer distribution.
     * <pre>
     * SELECT c_count, count(*) AS custdist FROM (
     *   SELECT c_custkey, count(o_orderkey) FROM customer
     *   LEFT OUTER JOIN orders ON c_custkey = o_custkey AND o_comment NOT LIKE '%special%requests%'
     *   GROUP BY c_custkey) AS c_orders (c_custkey, c_count)
     * GROUP BY c_count ORDER BY custdist DESC, c_count DESC
     * </pre>
     * customer LEFT OUTER JOIN the filtered orders, both HASH on the customer key (customer, the
     * smaller, builds); count per customer COMPLETE (partitioned on c_custkey); partial count per
     * c_count, HASH, final count; sort on one node.
     */
    private static Plan q13() {
        PlanBuilder p = new PlanBuilder();
        Node orders = p.scan(ORDERS, "o_orderkey", "o_custkey", "o_comment")
                .filter(notLike(col("o_comment"), "%special%requests%"))
                .project("o_orderkey", "o_custkey")
                .shuffle("o_custkey");
        List<NamedExpr> keys = group("c_count");
        Agg custdist = count("custdist");
        Node result = p.scan(CUSTOMER, "c_custkey")
                .shuffle("c_custkey")
                .leftJoin(orders, BUILD_LEFT, on("c_custkey", "o_custkey"))
                .agg(group("c_custkey"), count("c_count", col("o_orderkey")))
                .partialAgg(keys, custdist)
                .shuffle("c_count")
                .finalAgg(keys, custdist)
                .gather()
                .sort(desc("custdist"), desc("c_count"));
        return p.plan(result);
    }

    /**
     * Q14, promotion effect.
     * <pre>
     * SELECT 100.00 * sum(CASE WHEN p_type LIKE 'PROMO%' THEN l_extendedprice * (1 - l_discount) ELSE 0 END)
     *        / sum(l_extendedprice * (1 - l_discount)) AS promo_revenue
     * FROM lineitem, part
     * WHERE l_partkey = p_partkey AND l_shipdate >= DATE '1995-09-01' AND l_shipdate < DATE '1995-09-01' + INTERVAL '1' MONTH
     * </pre>
     * The month's lines (which build) and part HASH on the part key; partial sums there, final
     * sums and the division on one node.
     */
    private static Plan q14() {
        PlanBuilder p = new PlanBuilder();
        Node parts = p.scan(PART, "p_partkey", "p_type").shuffle("p_partkey");
        Agg[] aggs = {
                sum("promo_volume", caseWhen(like(col("p_type"), "PROMO%"), col("volume"), int32(0))),
                sum("total_volume", col("volume"))};
        Node result = p.scan(LINEITEM, "l_partkey", "l_extendedprice", "l_discount", "l_shipdate")
                .filter(ge(col("l_shipdate"), date("1995-09-01")), lt(col("l_shipdate"), date(plusMonths("1995-09-01", 1))))
                .project("l_partkey", as("volume", discountedPrice()))
                .shuffle("l_partkey")
                .innerJoin(parts, BUILD_LEFT, on("l_partkey", "p_partkey"))
                .partialAgg(noGroup(), aggs)
                .gather()
                .finalAgg(noGroup(), aggs)
                .project(as("promo_revenue", div(mul(decimal("100.00"), col("promo_volume")), col("total_volume"))));
        return p.plan(result);
    }

    /** Q15's view: revenue per supplier in the quarter; partial sum, HASH on the supplier, final sum. */
    private static Node supplierRevenue(PlanBuilder p) {
        List<NamedExpr> keys = group(as("supplier_no", col("l_suppkey")));
        Agg revenue = sum("total_revenue", discountedPrice());
        return p.scan(LINEITEM, "l_suppkey", "l_extendedprice", "l_discount", "l_shipdate")
                .filter(ge(col("l_shipdate"), date("1996-01-01")), lt(col("l_shipdate"), date(plusMonths("1996-01-01", 3))))
                .partialAgg(keys, revenue)
                .shuffle("supplier_no")
                .finalAgg(keys, revenue);
    }

    /**
     * Q15, top supplier.
     * <pre>
     * WITH revenue AS (SELECT l_suppkey AS supplier_no, sum(l_extendedprice * (1 - l_discount)) AS total_revenue
     *                  FROM lineitem WHERE l_shipdate >= DATE '1996-01-01'
     *                  AND l_shipdate < DATE '1996-01-01' + INTERVAL '3' MONTH GROUP BY l_suppkey)
     * SELECT s_suppkey, s_name, s_address, s_phone, total_revenue FROM supplier, revenue
     * WHERE s_suppkey = supplier_no AND total_revenue = (SELECT max(total_revenue) FROM revenue)
     * ORDER BY s_suppkey
     * </pre>
     * The view is computed twice. Its maximum: partial max where the view is, final max on one
     * node, BROADCAST; a semi join on total_revenue = max keeps the top suppliers, which join
     * supplier (HASH on the supplier key, as the view is). Sort on one node.
     */
    private static Plan q15() {
        PlanBuilder p = new PlanBuilder();
        Agg maxRevenue = max("max_revenue", col("total_revenue"));
        Node topRevenue = supplierRevenue(p)
                .partialAgg(noGroup(), maxRevenue)
                .gather()
                .finalAgg(noGroup(), maxRevenue)
                .broadcast();
        Node topSuppliers = supplierRevenue(p)
                .semiJoin(topRevenue, BUILD_RIGHT, on("total_revenue", "max_revenue"));
        Node result = p.scan(SUPPLIER, "s_suppkey", "s_name", "s_address", "s_phone")
                .shuffle("s_suppkey")
                .innerJoin(topSuppliers, BUILD_RIGHT, on("s_suppkey", "supplier_no"))
                .project("s_suppkey", "s_name", "s_address", "s_phone", "total_revenue")
                .gather()
                .sort(asc("s_suppkey"));
        return p.plan(result);
    }

    /**
     * Q16, parts/supplier relationship.
     * <pre>
     * SELECT p_brand, p_type, p_size, count(DISTINCT ps_suppkey) AS supplier_cnt FROM partsupp, part
     * WHERE p_partkey = ps_partkey AND p_brand <> 'Brand#45' AND p_type NOT LIKE 'MEDIUM POLISHED%'
     *   AND p_size IN (49, 14, 23, 45, 19, 3, 36, 9)
     *   AND ps_suppkey NOT IN (SELECT s_suppkey FROM supplier WHERE s_comment LIKE '%Customer%Complaints%')
     * GROUP BY p_brand, p_type, p_size ORDER BY supplier_cnt DESC, p_brand, p_type, p_size
     * </pre>
     * The complained-about suppliers are BROADCAST into the partsupp scan (NOT IN: a null-aware
     * anti join). partsupp and the filtered parts HASH on the part key; there the (brand, type,
     * size, supplier) combinations are made distinct, HASH on (brand, type, size), and counted
     * distinct in COMPLETE mode. Sort on one node.
     */
    private static Plan q16() {
        PlanBuilder p = new PlanBuilder();
        Node complaints = p.scan(SUPPLIER, "s_suppkey", "s_comment")
                .filter(like(col("s_comment"), "%Customer%Complaints%"))
                .project("s_suppkey")
                .broadcast();
        Node parts = p.scan(PART, "p_partkey", "p_brand", "p_type", "p_size")
                .filter(ne(col("p_brand"), Exprs.str("Brand#45")),
                        notLike(col("p_type"), "MEDIUM POLISHED%"),
                        in(col("p_size"), 49, 14, 23, 45, 19, 3, 36, 9))
                .shuffle("p_partkey");
        Node result = p.scan(PARTSUPP, "ps_partkey", "ps_suppkey")
                .notInJoin(complaints, BUILD_RIGHT, on("ps_suppkey", "s_suppkey"))
                .shuffle("ps_partkey")
                .innerJoin(parts, BUILD_RIGHT, on("ps_partkey", "p_partkey"))
                .agg(group("p_brand", "p_type", "p_size", "ps_suppkey"))
                .shuffle("p_brand", "p_type", "p_size")
                .agg(group("p_brand", "p_type", "p_size"), countDistinct("supplier_cnt", col("ps_suppkey")))
                .gather()
                .sort(desc("supplier_cnt"), asc("p_brand"), asc("p_type"), asc("p_size"));
        return p.plan(result);
    }

    /** Q17's parts: Brand#23 in a MED BOX, BROADCAST. */
    private static Node q17Parts(PlanBuilder p) {
        return p.scan(PART, "p_partkey", "p_brand", "p_container")
                .filter(eq(col("p_brand"), Exprs.str("Brand#23")), eq(col("p_container"), Exprs.str("MED BOX")))
                .project("p_partkey")
                .broadcast();
    }

    /**
     * Q17, small-quantity-order revenue.
     * <pre>
     * SELECT sum(l_extendedprice) / 7.0 AS avg_yearly FROM lineitem, part
     * WHERE p_partkey = l_partkey AND p_brand = 'Brand#23' AND p_container = 'MED BOX'
     *   AND l_quantity < (SELECT 0.2 * avg(l_quantity) FROM lineitem WHERE l_partkey = p_partkey)
     * </pre>
     * The few parts are BROADCAST into two lineitem scans: one keeps the parts' lines, the other
     * computes the decorrelated subquery, the average quantity per part (partial avg, HASH on the
     * part key, final avg). They join on the part key (both HASH) with the quantity comparison as
     * other condition; partial sum there, final sum and the division on one node.
     */
    private static Plan q17() {
        PlanBuilder p = new PlanBuilder();
        List<NamedExpr> partKey = group(as("avg_partkey", col("l_partkey")));
        Agg avgQuantity = avg("avg_quantity", col("l_quantity"));
        Node limits = p.scan(LINEITEM, "l_partkey", "l_quantity")
                .semiJoin(q17Parts(p), BUILD_RIGHT, on("l_partkey", "p_partkey"))
                .partialAgg(partKey, avgQuantity)
                .shuffle("avg_partkey")
                .finalAgg(partKey, avgQuantity)
                .project("avg_partkey", as("quantity_limit", mul(decimal("0.2"), col("avg_quantity"))));
        Agg total = sum("total_price", col("l_extendedprice"));
        Node result = p.scan(LINEITEM, "l_partkey", "l_quantity", "l_extendedprice")
                .semiJoin(q17Parts(p), BUILD_RIGHT, on("l_partkey", "p_partkey"))
                .shuffle("l_partkey")
                .innerJoin(limits, BUILD_RIGHT, on("l_partkey", "avg_partkey").where(lt(col("l_quantity"), col("quantity_limit"))))
                .partialAgg(noGroup(), total)
                .gather()
                .finalAgg(noGroup(), total)
                .project(as("avg_yearly", div(col("total_price"), decimal("7.0"))));
        return p.plan(result);
    }

    /**
     * Q18, large volume customer.
     * <pre>
     * SELECT c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice, sum(l_quantity)
     * FROM customer, orders, lineitem
     * WHERE o_orderkey IN (SELECT l_orderkey FROM lineitem GROUP BY l_orderkey HAVING sum(l_quantity) > 300)
     *   AND c_custkey = o_custkey AND o_orderkey = l_orderkey
     * GROUP BY c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice
     * ORDER BY o_totalprice DESC, o_orderdate LIMIT 100
     * </pre>
     * The quantity per order (partial sum at the lineitem scan, HASH on the order key, final sum)
     * filtered by the HAVING joins orders (HASH on the order key). The outer sum(l_quantity) per
     * order is that same sum (the group holds one order, o_orderkey being orders' key, and all its
     * lines), so the outer join with lineitem and its aggregation reuse it. Then customer (both
     * HASH on the customer key); TopN on every node, then on one.
     */
    private static Plan q18() {
        PlanBuilder p = new PlanBuilder();
        List<NamedExpr> keys = group("l_orderkey");
        Agg quantity = sum("sum_quantity", col("l_quantity"));
        Node bigOrders = p.scan(LINEITEM, "l_orderkey", "l_quantity")
                .partialAgg(keys, quantity)
                .shuffle("l_orderkey")
                .finalAgg(keys, quantity)
                .filter(gt(col("sum_quantity"), int32(300)));
        Node customers = p.scan(CUSTOMER, "c_custkey", "c_name").shuffle("c_custkey");
        Node result = p.scan(ORDERS, "o_orderkey", "o_custkey", "o_orderdate", "o_totalprice")
                .shuffle("o_orderkey")
                .innerJoin(bigOrders, BUILD_RIGHT, on("o_orderkey", "l_orderkey"))
                .project("o_orderkey", "o_custkey", "o_orderdate", "o_totalprice", "sum_quantity")
                .shuffle("o_custkey")
                .innerJoin(customers, BUILD_LEFT, on("o_custkey", "c_custkey"))
                .project("c_name", "c_custkey", "o_orderkey", "o_orderdate", "o_totalprice",
                        as("sum(l_quantity)", col("sum_quantity")))
                .topN(100, desc("o_totalprice"), asc("o_orderdate"))
                .gather()
                .topN(100, desc("o_totalprice"), asc("o_orderdate"));
        return p.plan(result);
    }

    /** One branch of Q19's condition. */
    private static Expr q19Branch(String brand, String[] containers, int minQuantity, int maxSize) {
        return and(eq(col("p_brand"), Exprs.str(brand)),
                in(col("p_container"), containers),
                ge(col("l_quantity"), int32(minQuantity)),
                le(col("l_quantity"), int32(minQuantity + 10)),
                between(col("p_size"), int32(1), int32(maxSize)));
    }

    /** The part half of one branch of Q19's condition, to filter part before the join. */
    private static Expr q19PartBranch(String brand, String[] containers, int maxSize) {
        return and(eq(col("p_brand"), Exprs.str(brand)), in(col("p_container"), containers),
                between(col("p_size"), int32(1), int32(maxSize)));
    }

    /**
     * Q19, discounted revenue.
     * <pre>
     * SELECT sum(l_extendedprice * (1 - l_discount)) AS revenue FROM lineitem, part
     * WHERE (p_partkey = l_partkey AND p_brand = 'Brand#12' AND p_container IN ('SM CASE', 'SM BOX', 'SM PACK', 'SM PKG')
     *        AND l_quantity >= 1 AND l_quantity <= 1 + 10 AND p_size BETWEEN 1 AND 5
     *        AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')
     *    OR (... 'Brand#23', 'MED ...', 10 .. 20, size 1 .. 10 ...) OR (... 'Brand#34', 'LG ...', 20 .. 30, size 1 .. 15 ...)
     * </pre>
     * The join key and the conditions common to the branches are taken out of the OR; part,
     * filtered by its half of the branches, is small and BROADCAST into the lineitem scan, and the
     * whole OR is the join's other condition. Partial sum at the scan, final sum on one node.
     */
    private static Plan q19() {
        PlanBuilder p = new PlanBuilder();
        String[] small = {"SM CASE", "SM BOX", "SM PACK", "SM PKG"};
        String[] medium = {"MED BAG", "MED BOX", "MED PKG", "MED PACK"};
        String[] large = {"LG CASE", "LG BOX", "LG PACK", "LG PKG"};
        Node parts = p.scan(PART, "p_partkey", "p_brand", "p_size", "p_container")
                .filter(or(q19PartBranch("Brand#12", small, 5), q19PartBranch("Brand#23", medium, 10),
                        q19PartBranch("Brand#34", large, 15)))
                .broadcast();
        Agg revenue = sum("revenue", discountedPrice());
        Node result = p.scan(LINEITEM, "l_partkey", "l_quantity", "l_extendedprice", "l_discount", "l_shipinstruct", "l_shipmode")
                .filter(in(col("l_shipmode"), "AIR", "AIR REG"), eq(col("l_shipinstruct"), Exprs.str("DELIVER IN PERSON")))
                .innerJoin(parts, BUILD_RIGHT, on("l_partkey", "p_partkey").where(or(
                        q19Branch("Brand#12", small, 1, 5),
                        q19Branch("Brand#23", medium, 10, 10),
                        q19Branch("Brand#34", large, 20, 15))))
                .partialAgg(noGroup(), revenue)
                .gather()
                .finalAgg(noGroup(), revenue);
        return p.plan(result);
    }

    /** Q20's forest parts, BROADCAST. */
    private static Node forestParts(PlanBuilder p) {
        return p.scan(PART, "p_partkey", "p_name")
                .filter(like(col("p_name"), "forest%"))
                .project("p_partkey")
                .broadcast();
    }

    /**
     * Q20, potential part promotion.
     * <pre>
     * SELECT s_name, s_address FROM supplier, nation
     * WHERE s_suppkey IN (
     *     SELECT ps_suppkey FROM partsupp
     *     WHERE ps_partkey IN (SELECT p_partkey FROM part WHERE p_name LIKE 'forest%')
     *       AND ps_availqty > (SELECT 0.5 * sum(l_quantity) FROM lineitem WHERE l_partkey = ps_partkey
     *                          AND l_suppkey = ps_suppkey AND l_shipdate >= DATE '1994-01-01'
     *                          AND l_shipdate < DATE '1994-01-01' + INTERVAL '1' YEAR))
     *   AND s_nationkey = n_nationkey AND n_name = 'CANADA'
     * ORDER BY s_name
     * </pre>
     * The forest parts are BROADCAST into a partsupp scan and a lineitem scan (semi joins). The
     * decorrelated subquery, the quantity per (part, supplier) (partial sum, HASH on the part key,
     * final sum), joins partsupp (HASH on the part key) with the availability comparison as other
     * condition (no lines: the sum is NULL and the comparison not true, so an inner join). The
     * distinct suppliers (HASH on the supplier key) semi-join Canadian suppliers (nation BROADCAST
     * into the supplier scan, HASH on the supplier key). Sort on one node.
     */
    private static Plan q20() {
        PlanBuilder p = new PlanBuilder();
        List<NamedExpr> keys = group("l_partkey", "l_suppkey");
        Agg quantity = sum("sum_quantity", col("l_quantity"));
        Node shipped = p.scan(LINEITEM, "l_partkey", "l_suppkey", "l_quantity", "l_shipdate")
                .filter(ge(col("l_shipdate"), date("1994-01-01")), lt(col("l_shipdate"), date(plusYears("1994-01-01", 1))))
                .semiJoin(forestParts(p), BUILD_RIGHT, on("l_partkey", "p_partkey"))
                .partialAgg(keys, quantity)
                .shuffle("l_partkey")
                .finalAgg(keys, quantity);
        Node candidates = p.scan(PARTSUPP, "ps_partkey", "ps_suppkey", "ps_availqty")
                .semiJoin(forestParts(p), BUILD_RIGHT, on("ps_partkey", "p_partkey"))
                .shuffle("ps_partkey")
                .innerJoin(shipped, BUILD_RIGHT, on("ps_partkey", "l_partkey").and("ps_suppkey", "l_suppkey")
                        .where(gt(col("ps_availqty"), mul(decimal("0.5"), col("sum_quantity")))))
                .agg(group("ps_suppkey"))
                .shuffle("ps_suppkey");
        Node canada = p.scan(NATION, "n_nationkey", "n_name")
                .filter(eq(col("n_name"), Exprs.str("CANADA")))
                .project("n_nationkey")
                .broadcast();
        Node result = p.scan(SUPPLIER, "s_suppkey", "s_name", "s_address", "s_nationkey")
                .innerJoin(canada, BUILD_RIGHT, on("s_nationkey", "n_nationkey"))
                .project("s_suppkey", "s_name", "s_address")
                .shuffle("s_suppkey")
                .semiJoin(candidates, BUILD_RIGHT, on("s_suppkey", "ps_suppkey"))
                .project("s_name", "s_address")
                .gather()
                .sort(asc("s_name"));
        return p.plan(result);
    }

    /**
     * Q21, suppliers who kept orders waiting.
     * <pre>
     * SELECT s_name, count(*) AS numwait FROM supplier, lineitem l1, orders, nation
     * WHERE s_suppkey = l1.l_suppkey AND o_orderkey = l1.l_orderkey AND o_orderstatus = 'F'
     *   AND l1.l_receiptdate > l1.l_commitdate
     *   AND EXISTS (SELECT * FROM lineitem l2 WHERE l2.l_orderkey = l1.l_orderkey AND l2.l_suppkey <> l1.l_suppkey)
     *   AND NOT EXISTS (SELECT * FROM lineitem l3 WHERE l3.l_orderkey = l1.l_orderkey
     *                   AND l3.l_suppkey <> l1.l_suppkey AND l3.l_receiptdate > l3.l_commitdate)
     *   AND s_nationkey = n_nationkey AND n_name = 'SAUDI ARABIA'
     * GROUP BY s_name ORDER BY numwait DESC, s_name LIMIT 100
     * </pre>
     * Saudi suppliers (nation BROADCAST into the supplier scan) are BROADCAST into the l1 scan.
     * l1, orders, l2 and l3 all HASH on the order key; EXISTS and NOT EXISTS are a semi and an
     * anti join with the supplier inequality as other condition, built from the (small) l1 side.
     * Partial count, HASH on s_name, final count; TopN on one node.
     */
    private static Plan q21() {
        PlanBuilder p = new PlanBuilder();
        Node saudiArabia = p.scan(NATION, "n_nationkey", "n_name")
                .filter(eq(col("n_name"), Exprs.str("SAUDI ARABIA")))
                .project("n_nationkey")
                .broadcast();
        Node suppliers = p.scan(SUPPLIER, "s_suppkey", "s_name", "s_nationkey")
                .innerJoin(saudiArabia, BUILD_RIGHT, on("s_nationkey", "n_nationkey"))
                .project("s_suppkey", "s_name")
                .broadcast();
        Node finishedOrders = p.scan(ORDERS, "o_orderkey", "o_orderstatus")
                .filter(eq(col("o_orderstatus"), Exprs.str("F")))
                .project("o_orderkey")
                .shuffle("o_orderkey");
        Node l2 = p.scan(LINEITEM, "l_orderkey", "l_suppkey")
                .project(as("l2_orderkey", col("l_orderkey")), as("l2_suppkey", col("l_suppkey")))
                .shuffle("l2_orderkey");
        Node l3 = p.scan(LINEITEM, "l_orderkey", "l_suppkey", "l_commitdate", "l_receiptdate")
                .filter(gt(col("l_receiptdate"), col("l_commitdate")))
                .project(as("l3_orderkey", col("l_orderkey")), as("l3_suppkey", col("l_suppkey")))
                .shuffle("l3_orderkey");
        List<NamedExpr> keys = group("s_name");
        Agg numwait = count("numwait");
        Node result = p.scan(LINEITEM, "l_orderkey", "l_suppkey", "l_commitdate", "l_receiptdate")
                .filter(gt(col("l_receiptdate"), col("l_commitdate")))
                .innerJoin(suppliers, BUILD_RIGHT, on("l_suppkey", "s_suppkey"))
                .project("l_orderkey", "l_suppkey", "s_name")
                .shuffle("l_orderkey")
                .semiJoin(finishedOrders, BUILD_LEFT, on("l_orderkey", "o_orderkey"))
                .semiJoin(l2, BUILD_LEFT, on("l_orderkey", "l2_orderkey").where(ne(col("l2_suppkey"), col("l_suppkey"))))
                .antiJoin(l3, BUILD_LEFT, on("l_orderkey", "l3_orderkey").where(ne(col("l3_suppkey"), col("l_suppkey"))))
                .partialAgg(keys, numwait)
                .shuffle("s_name")
                .finalAgg(keys, numwait)
                .gather()
                .topN(100, desc("numwait"), asc("s_name"));
        return p.plan(result);
    }

    /**
     * Q22, global sales opportunity.
     * <pre>
     * SELECT cntrycode, count(*) AS numcust, sum(c_acctbal) AS totacctbal FROM (
     *   SELECT substr(c_phone, 1, 2) AS cntrycode, c_acctbal FROM customer
     *   WHERE substr(c_phone, 1, 2) IN ('13', '31', '23', '29', '30', '18', '17')
     *     AND c_acctbal > (SELECT avg(c_acctbal) FROM customer WHERE c_acctbal > 0.00
     *                      AND substr(c_phone, 1, 2) IN ('13', '31', '23', '29', '30', '18', '17'))
     *     AND NOT EXISTS (SELECT * FROM orders WHERE o_custkey = c_custkey)) AS custsale
     * GROUP BY cntrycode ORDER BY cntrycode
     * </pre>
     * The average (partial avg at a customer scan, final avg on one node) is BROADCAST into a
     * second customer scan and joined on a constant key with the comparison as other condition.
     * Those customers anti-join orders, both HASH on the customer key (customers build). Partial
     * aggregation, HASH on cntrycode, final; sort on one node.
     */
    private static Plan q22() {
        PlanBuilder p = new PlanBuilder();
        String[] codes = {"13", "31", "23", "29", "30", "18", "17"};
        Expr countryCode = substring(col("c_phone"), 1, 2);
        Agg avgBalance = avg("avg_acctbal", col("c_acctbal"));
        Node average = p.scan(CUSTOMER, "c_phone", "c_acctbal")
                .filter(gt(col("c_acctbal"), decimal("0.00")), in(countryCode, codes))
                .partialAgg(noGroup(), avgBalance)
                .gather()
                .finalAgg(noGroup(), avgBalance)
                .project("avg_acctbal", as("avg_key", int32(1)))
                .broadcast();
        Node orders = p.scan(ORDERS, "o_custkey").shuffle("o_custkey");
        List<NamedExpr> keys = group("cntrycode");
        Agg[] aggs = {count("numcust"), sum("totacctbal", col("c_acctbal"))};
        Node result = p.scan(CUSTOMER, "c_custkey", "c_phone", "c_acctbal")
                .filter(in(countryCode, codes))
                .project("c_custkey", "c_acctbal", as("cntrycode", countryCode), as("balance_key", int32(1)))
                .innerJoin(average, BUILD_RIGHT, on("balance_key", "avg_key").where(gt(col("c_acctbal"), col("avg_acctbal"))))
                .project("c_custkey", "cntrycode", "c_acctbal")
                .shuffle("c_custkey")
                .antiJoin(orders, BUILD_LEFT, on("c_custkey", "o_custkey"))
                .partialAgg(keys, aggs)
                .shuffle("cntrycode")
                .finalAgg(keys, aggs)
                .gather()
                .sort(asc("cntrycode"));
        return p.plan(result);
    }
}
