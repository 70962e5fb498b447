//! Realistic definitions covering every documented form: each must parse, print canonically,
//! and parse back to the same tree.

use seg_pql::{Query, parse};

const DEFINITIONS: &[&str] = &[
    // Boolean and comparison.
    r#"homeAddress.countryISO = "CA" and person.birthYear = 1985"#,
    r#"homeAddress.countryISO = "CA" or person.birthYear = 1985"#,
    r#"not (homeAddress.countryISO = "CA")"#,
    r#"!(  person.birthYear = 1980 and homeAddress.countryCode != workAddress.countryCode )"#,
    r#"NOT( person.birthYear = 1980 ) AND NOT ( homeAddress.countryCode = "US" )"#,
    r#"plan.equals("trial") AND region.equals("canada")"#,
    r#"if (homeAddress.countryISO = "CA", 1, 2)"#,
    r#"if(person.gender = "female", 60, if(person.gender = "male", 65, -9999))"#,
    r#"if(homeAddress.countryCode in ["US","MX","CA"], "NA", "ROW")"#,
    r#"person.birthMonth >= 3 and person.birthMonth <= 5"#,
    r#"homeAddress.countryCode != workAddress.countryCode"#,
    r#"person1.favoriteColors.intersection(person2.favoriteColors) = ["red", "blue", "green"]"#,
    r#"not offer.luma.offerDetails.zipCode"#,
    // Arithmetic.
    r#"product1.price + product2.price > 100.0"#,
    r#"product.inventory * product.price >= 2.02E12"#,
    r#"totalProduct.price / totalProduct.sold < .45"#,
    r#"person.age % 5 = 0"#,
    r#"date(currentYear() - 1, 10, 1) = product.launchDate"#,
    r#"account.balance > -51.24 and account.limit < 1e-7 * 3"#,
    // Arrays, lists and sets.
    r#"person.birthMonth in [3, 6, 9]"#,
    r#"person.birthMonth notIn [3, 6, 9]"#,
    r#""London" in citiesVisited"#,
    r#"homeAddress.city in person.favoriteCities"#,
    r#"person.favoriteColors.intersects(["red", "blue", "green"])"#,
    r#"person.favoriteCities.subsetOf(person.visitedCities)"#,
    r#"person.eatenFoods.supersetOf(["sushi", "pizza"])"#,
    r#"person.favoriteColors.includes("red")"#,
    r#"person.orders.storeId.distinct().count() > 1"#,
    r#"orders.topN(price, 5).head().storeId = "S1""#,
    r#"orders.bottomN(price, 5).count() = 5"#,
    r#"segmentMembership.get("ups").get(offer.characteristics.prioritySegmentId).status in (["realized","existing"])"#,
    r#"productListItems.exists(name.equals("iPhone 15 Pro", false))"#,
    // Aggregation.
    r#"orders.sum(order.price) > 1000"#,
    r#"orders.average(order.price) >= 20.5 and orders.min(order.price) > 1 and orders.max(order.price) < 500"#,
    r#"(sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD") > 1000"#,
    r#"(sum X.metrics.commerce.productViews + X.metrics.commerce.purchases over X from xEvent) > 3"#,
    r#"(sum X from integerArray where X > 0) = 10"#,
    r#"(average X.commerce.order.priceTotal over X from xEvent, I from X.productListItems where I.SKU = "PS") > 12"#,
    r#"let S = (sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD") in (S > 100 and S < 1000)"#,
    // Maps.
    r#"identityMap.get("example@example.com").count() > 0"#,
    r#"identityMap.keys().count() >= 2"#,
    r#"xEvent[timestamp occurs last month].groupBy(product).map((K, G) => mapEntry(K, G.count()))"#,
    r#"xEvent.groupBy(product).map({"count": this.count(), "latest": this.head()})"#,
    r#"{"uniqueProductDownloadSum": Y.count(), "products": Y}"#,
    // Strings.
    r#"city like "%es%""#,
    r#"workEmail.address like "%.edu""#,
    r#"person.name.startsWith("Joe")"#,
    r#"workEmail.address.startsWith("joe", false)"#,
    r#"person.emailAddress.doesNotEndWith(".com") and person.emailAddress.doesNotContain("2010@gm")"#,
    r#"person.name.matches("(?i)^John")"#,
    r#"person.firstName matches "^J.*n$""#,
    r#"emailAddress.regexGroup("@(\\w+)", 1) = "gmail""#,
    r#"State.equals("AL", "AK", "AZ", "AR", "CA", "CO")"#,
    r#"not(State.equals("VT", "VA", "WA", "WV", "WI", "WY" ))"#,
    // Objects.
    r#"person.homeAddress.isNull() or score.isNotNull()"#,
    // Dates and times.
    r#"person.birthMonth = currentMonth()"#,
    r#"person.birthday.getYear() in [1991, 1992, 1993, 1994, 1995]"#,
    r#"product.sale.getDayOfMonth() <= 15 and person.birthDay = currentDayOfMonth()"#,
    r#"product.saleDate occurs last week"#,
    r#"product.saleDate occurs on date(2019,12,31)"#,
    r#"product.saleDate occurs = 3 hours before now"#,
    r#"person.birthday occurs = 3 days before today"#,
    r#"X.timestamp occurs before today"#,
    r#"_repo.modifyDate occurs after date(2019, 4, 1)"#,
    r#"product.saleDate occurs between date(2015, 1, 8) and date(2017, 7, 1) and x = 1"#,
    r#"offer.selectionConstraint.endDate occurs <= 24 hours after now"#,
    r#"person.anniversary occurs <= 2 weeks from this year"#,
    r#"account.created OCCURS > 1 millenium BEFORE TOMORROW"#,
    r#"account.created occurs < 10 milliseconds before next decade"#,
    // Filters and the up operator.
    r#"xEvent[productListItems[SKU="PS"]]"#,
    r#"xEvent[productListItems[SKU="PS" or ^^.person.gender="female"]]"#,
    r#"xEvent[(timestamp occurs < 7 days before now) and eventType="download" and contentType = "image"].count() > 2"#,
    r#"this[timestamp occurs today].count()"#,
    r#"_coresvc.attributes[name = "product"].value = "shoes""#,
    r#"xEvent[items[^price > 10]]"#,
    r#"xEvent.metrics.commerce.abandons.value > 0"#,
    // Comprehensions.
    r#"select X from xEvent where X.commerce.order"#,
    r#"select X from xEvent where X.timestamp occurs yesterday"#,
    r#"(select X from xEvent where X.productListItems.count() > 2).count() > 5"#,
    r#"homeAddress.countryISO = "US" and (select Order1 from xEvent where Order1.commerce.order)"#,
    r#"select Order1 from xEvent where Order1.commerce.order, Order2 from xEvent where Order2.commerce.order and Order2.timestamp occurs < 2 weeks after Order1.timestamp"#,
    r#"exists E from xEvent where (E.commerce.item.price > 50), I from E.productListItems where I.SKU = "PS""#,
    r#"forall E from xEvent: E.eventType = "login""#,
    r#"select F1 from xEvent, F2 from xEvent where F1 != F2 and F2.timestamp occurs > 1 day after F1.timestamp"#,
    r#"let score = (select X from xEvent).head().core.propensityScore in if(score > 0.5, 1, 0)"#,
    // Sequences and segment references.
    r#"chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart")])"#,
    r#"CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(today)])"#,
    r#"not(chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(<= 24 hours before now) COUNT(5)]))"#,
    r#"chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHEN(< 8 days before now), B: WHAT(eventType = "checkout")])"#,
    r#"chain(xEvent, timestamp, [X: WHAT(eventType = "search") WHERE(externalSegmentMapProperty.values().exists(stringProperty="active"))])"#,
    r#"inSegment("e3be6d7f-1727-401f-a41e-c296b45f607a") and CHAIN(xEvent, timestamp, [C0: WHAT(eventType = "login") WHEN(<= 24 hours before now)])"#,
    r#"inSegment("existing segment")"#,
    // Lambda heads and parameters.
    r#"(Profile) => Profile.homeAddress.stateProvince = "CA""#,
    r#"(A, B) => A.score > B.score"#,
    r#"$1.homeAddress.countryCode = "US""#,
    // Keyword case and layout.
    "homeAddress.countryCode = \"US\"\n  AND\n\tperson.birthYear > 1980",
    r#"person.name.equals("John") Or person.name.equals("Jon")"#,
];

#[test]
fn corpus_is_large_enough() {
    assert!(DEFINITIONS.len() >= 60, "only {} definitions", DEFINITIONS.len());
}

#[test]
fn corpus_parses_and_round_trips() {
    for definition in DEFINITIONS {
        let query = match parse(definition) {
            Ok(query) => query,
            Err(diagnostic) => panic!("failed to parse:\n{}", diagnostic.render(definition)),
        };
        let printed = query.to_string();
        let reparsed = match parse(&printed) {
            Ok(query) => query,
            Err(diagnostic) => panic!("printed text failed to parse:\n{}", diagnostic.render(&printed)),
        };
        assert_eq!(reparsed.clone().without_spans(), query.without_spans(), "{definition}\nprinted as\n{printed}");
        // Canonical text is a fixed point.
        assert_eq!(reparsed.to_string(), printed, "{definition}");
    }
}

#[test]
fn corpus_spans_stay_inside_text() {
    for definition in DEFINITIONS {
        let Query { params, body } = parse(definition).expect(definition);
        let body_text = &definition[body.span.start..body.span.end];
        if params.is_empty() {
            assert_eq!(body_text, definition.trim(), "{definition}");
        } else {
            assert!(definition.trim_end().ends_with(body_text), "{definition}");
        }
    }
}
